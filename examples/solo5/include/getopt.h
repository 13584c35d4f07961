/* getopt_long for znet's Solo5 runtime (examples/solo5/libc.c), for the
 * command line solo5_app_main() splits into words.  As GNU's: "--name
 * value", "--name=value", unique abbreviations of long names, clustered
 * short flags, "-cVALUE", "--" ends the flags, a leading ':' in the short
 * list reports a missing value as ':'.  Unlike GNU's it does not permute:
 * the first word that is not a flag ends the parse. */
#ifndef ZN_SOLO5_GETOPT_H
#define ZN_SOLO5_GETOPT_H

#define no_argument 0
#define required_argument 1
#define optional_argument 2

struct option {
  const char *name;
  int has_arg;
  int *flag;
  int val;
};

extern char *optarg;
extern int optind, opterr, optopt;

int getopt_long(int argc, char *const argv[], const char *shorts,
                const struct option *longs, int *index);

#endif
