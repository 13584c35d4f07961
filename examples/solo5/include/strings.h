/* strcasecmp (ASCII only) for znet's Solo5 runtime. */
#ifndef ZN_SOLO5_STRINGS_H
#define ZN_SOLO5_STRINGS_H

int strcasecmp(const char *a, const char *b);

#endif
