/* ASCII character classes for znet's Solo5 runtime (no locales). */
#ifndef ZN_SOLO5_CTYPE_H
#define ZN_SOLO5_CTYPE_H

int isalnum(int c);
int isalpha(int c);
int isdigit(int c);
int isxdigit(int c);
int isspace(int c);
int isupper(int c);
int islower(int c);
int isprint(int c);
int tolower(int c);
int toupper(int c);

#endif
