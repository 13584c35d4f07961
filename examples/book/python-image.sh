#!/bin/bash
# Chapter 9: a Python script as a unikernel.  CPython 3.11 from Debian
# 12's source package, built by its own configure and make with
# CC=znet-cc; its standard library, its extension modules and the
# script packed into one image and its root archive by znet-image.
#
#   examples/book/python-image.sh DIR SCRIPT.py [ARG...]
#
# znet-cc and znet-image come from PATH, Solo5 as znet-image finds it.
# Makes, in DIR: src/ (Debian's source, by scripts/debian-src), build/
# (configure's and make's), install/ (make install DESTDIR=), root/ (the
# installed library less the test suite, Tk, IDLE and the optimized
# .pyc, and SCRIPT.py as /app/SCRIPT.py), python.spt (the image: the
# interpreter with every extension module of root/ linked in) and
# python.spt.tar (the root archive).  The image's default words are
# "/app/SCRIPT.py ARG...": solo5-spt starts the script with znet's flags
# alone.  A second run reuses the source and the build (about three
# minutes on two cores the first time).
#
# The build is a cross build (--host x86_64-znet-linux-musl): an image is
# another host (musl, no kernel).  So CPython builds its extension
# modules shared, as it does by default, and the build machine's
# python3.11 runs what the build runs (setup.py, compileall); a native
# build would import each module it built with the interpreter it just
# made, an ordinary static Linux program with no dlopen, and drop them
# all.  In the image, dlopen finds them: znet-cc -shared made each one
# an object that znet-image links in.  The cross build cannot run
# configure's test programs, so site.cache says what they give on Linux
# with musl.  --build names musl too (3.11's configure takes the
# platform triplet's C library from the build system's name), and
# READELF is given in full, as configure wants for a cross build.
# Debian's sysconfigdata-name.diff names the sysconfig data file one way
# when it is built and another when it is installed, in a cross build:
# the built one is copied to the second name.  No package of this
# machine is seen (PKG_CONFIG_LIBDIR empty): the modules over libraries
# the image has no build of (zlib, OpenSSL, libffi, bz2, lzma, sqlite,
# curses) are left out, as configure and make report.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 DIR SCRIPT.py [ARG...]" >&2; exit 2; }
book=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
dir=$(cd "$1" && pwd)
script=$2
shift 2
[ -f "$script" ] || { echo "$0: no file $script" >&2; exit 2; }
zcc=$(command -v znet-cc) || { echo "$0: znet-cc is not on PATH" >&2; exit 2; }

echo "== Debian's source of python3.11"
src=$(bash "$book/../../scripts/debian-src" python3.11 "$dir/src" | tail -n1)

echo "== CPython, by its own configure and make"
mkdir -p "$dir/build" "$dir/empty-pkgconfig"
printf '%s\n' ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no \
  ac_cv_buggy_getaddrinfo=no ac_cv_pthread_is_default=yes \
  ac_cv_pthread_system_supported=yes ac_cv_aligned_required=no \
  ac_cv_broken_sem_getvalue=no ac_cv_working_tzset=yes \
  ac_cv_computed_gotos=yes ac_cv_have_size_t_format=yes \
  ac_cv_have_long_long_format=yes >"$dir/build/site.cache"
if [ ! -f "$dir/build/Makefile" ]; then
  (cd "$dir/build" &&
    CONFIG_SITE="$dir/build/site.cache" PKG_CONFIG_LIBDIR="$dir/empty-pkgconfig" \
      "$src/configure" --build=x86_64-pc-linux-musl --host=x86_64-znet-linux-musl \
      CC="$zcc" CPP="$zcc -E" READELF=/usr/bin/readelf \
      --with-build-python=/usr/bin/python3.11 --without-ensurepip \
      --prefix=/usr/local)
fi
make -C "$dir/build" -j"$(nproc)"
for f in "$dir"/build/build/lib.*/_sysconfigdata__*_x86_64-linux-musl.py; do
  cp "$f" "${f%/*}/_sysconfigdata__x86_64-linux-musl.py"
done
rm -rf "$dir/install"
make -C "$dir/build" install DESTDIR="$dir/install" >"$dir/install.log"

echo "== the root: the library and the script"
rm -rf "$dir/root"
mkdir -p "$dir/root/usr/local" "$dir/root/app"
cp -a "$dir/install/usr/local/lib" "$dir/root/usr/local/"
lib=$dir/root/usr/local/lib/python3.11
rm -rf "$lib"/test "$lib"/idlelib "$lib"/tkinter "$lib"/turtledemo \
  "$lib"/ensurepip "$lib"/lib2to3/tests "$lib"/unittest/test \
  "$lib"/ctypes/test "$lib"/distutils/tests "$lib"/sqlite3/test \
  "$lib"/config-3.11-* "$dir/root/usr/local/lib/pkgconfig" \
  "$lib"/lib-dynload/_test*.so "$lib"/lib-dynload/xxlimited*.so \
  "$lib"/lib-dynload/_xxtestfuzz*.so "$lib"/lib-dynload/_ctypes_test*.so
find "$lib" -name '*.opt-[12].pyc' -delete
name=$(basename "$script")
cp "$script" "$dir/root/app/$name"

echo "== the image and its root archive"
znet-image --target spt --pack "$dir/root" --block rootfs \
  --args "/app/$name${*:+ $*}" -o "$dir/python.spt" \
  "$dir/install/usr/local/bin/python3.11"
echo "extension modules linked in: $(find "$lib/lib-dynload" -name '*.so' | wc -l)"
ls -l "$dir/python.spt" "$dir/python.spt.tar"
