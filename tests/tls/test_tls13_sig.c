/* TLS 1.3's CertificateVerify signatures (tls/tls13_sig.c): the content
 * of RFC 8446 §4.4.3; RSASSA-PSS against the PKCS #1 v2.1 test vectors
 * (pss-vect.txt, SHA-1, a 1024- and a 1025-bit key) and against RFC 8448
 * §3's CertificateVerify; signing and verifying with every key type and
 * scheme (P-256, P-384, P-521, RSA of 2048, 2049, 3071 and 4096 bits),
 * and what must be refused: any flipped bit, another content, a scheme
 * that does not fit the key, PKCS #1 v1.5, a key below the policy, a
 * faulty private key; the choice of a scheme; and OpenSSL's command line
 * verifying our signatures and making some for us to verify. */
#include <bearssl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "certs.h"
#include "rfc8448.h"
#include "tls13_sig.h"
#include "tls_bearssl.h"
#include "znet/tls.h"
#include "tls_hex.h"
#include "zt.h"

/* ---- keys ---- */

/* Test keys made for this file (TEST KEYS ONLY), all with e = 65537:
 *   P-384, RSA-4096: openssl genpkey -algorithm EC -pkeyopt
 *     ec_paramgen_curve:P-384; openssl genrsa 4096 (OpenSSL 3.0)
 *   RSA-2049, RSA-3071: OpenSSL 3 makes only even sizes (its primes
 *     have half the bits each), so their primes were drawn with Python
 *     (1025 and 1024 bits, 1536 and 1535, top two bits set; sympy's
 *     isprime) and the key written by pyca/cryptography as PKCS #8;
 *     "openssl rsa -check" says "RSA key ok".
 * 2049 bits: emLen (256) is one byte shorter than the modulus (257);
 * 3071 bits: the top two bits of EM are cleared. */
static const char KEY_P384[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAN12Ednx6Cm0lrAfy7\n"
    "e1DO724gYJOGgX7pI/CS5hBWUGVatRtbvb3LHCZohkGjGpKhZANiAATrFA97Lkeg\n"
    "QB+eY98YYRuw4YLwB4IuuRsNEiDrMGOlt1+4qgd/rz2jwHROQN88z8zlCsjQZuvN\n"
    "tbcr02UqyREyGdU0UHbStlSot5vmk8k1V1H09cBIW0wIQ8p58O9Fq5k=\n"
    "-----END PRIVATE KEY-----\n";

static const char KEY_RSA2049[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQEtn5Fslu0Jn9AS\n"
    "XBXBx17I8I8boyORxVeYaHG0rPTHbEi5eR1ngapynuhE9DvWd0ZnUnJqobuGG6gL\n"
    "WJ474u5SIfqPv9SU9LEChO2gE2/WzQzYU1NJACd6Pi+jlfUC7k5oTc3cSeJ+oAk1\n"
    "Sxv/Iif3cueX3fIQsWupSTpffuf2zLyjtdJDxFye4rtMf4jr1hJrWCDMphkt0JB3\n"
    "ljG6RqYKrblkjO5vkdrIfZPDV88EA3jlI8dF47Kdf0OfOn+oDFVeWd+A4Xe3ySqN\n"
    "TXUW+1GP7icjuWGnhJ30hcFy8NEpOO6yNHUhSqFkLlMI/RcrFZBKKp+h0SyfYVvk\n"
    "tOCxPolvAgMBAAECggEBAJdhSp9xcC4wY0GTree/pDa9ZVW9nxB+NuRrJwZC9+dO\n"
    "1YEg5D0auu0kC/bvjUiqPE+G9Z3G5lL8dm6bX283Cd126EZVROAtntlg1dJNbwgj\n"
    "iZrY1ygAR8/2ffpgPMPnzrpSskspWd+renOg6sA16FEs/kceQWtXYG1qLz3Wd51J\n"
    "ImRoxxsGld9m0SqB38pQZLI6lMuJxaO3p99COSI3qJgSe0Xsm2gq7AS7RTdzWzj1\n"
    "ezR0HBFP4lTVD/nmnhdThDgjgJv1hPn3TKVojUjEkF5JspL08R/N9qySl4mHpBfC\n"
    "QjEQyks8IMLdy0tWbmrQuZ3qvC+99g8OEitP6JWAQcECgYEBkKcP+1ck2Xp5Fe+P\n"
    "/ovcIB4iHW28joDvh3MaRzPZdnGgRy+GJmsjF6tzzaqJ+4LXJS9SndnKF+G0NfHt\n"
    "cfTUt0OytJlRY288foSznVXcj3wvi3q7sk+erow3aNwT9jnHmBMoSYOoqLz5YBiw\n"
    "MAEklyUTzPxbGGFo2C8Wkxd4r0cCgYEAwLl4k74ZM3WhlgkipEaCQDx3rbWoX3PF\n"
    "xEFE1xheOHj+WiOH+DQz09WId3eI6OvLoQ8EHwNXL8n2ie8AOCY1AYsC4JCoAzoa\n"
    "Hcj9Ej3SQeoyuXLTIGjfUNzS7+wEAcMHqRiAjCgPBwNOncCPsvII2SbMdnnMFVLj\n"
    "/SU2Cs+n+JkCgYA4gxgB/7y24EuMCIprARc/gICXXg8mmpEurdGbEXku97//ynhF\n"
    "mv8MK6bd75we2cm2+QHSOhIDZFai9Ujktf/7CZV/W9DbEamavuUG4EGIC6A5MEqh\n"
    "UBG11RlLtR8rr+KzVKBuHiAADQevwku3ubGLkDNGyqGewr6jH6EzhjADqQKBgDQx\n"
    "xuMUZ9TU9cchgD1HTz1AYxUrjocTXqsxFgi+872Nny0gVFG3KZYkTYo1WGHkgkiD\n"
    "PZV8nR83Lkra7I9IYbCiSkwxQR9mm+4XIdrP3WK2n7gzzdQIMvq+Y25Q2CD2BdwY\n"
    "46+Rpcg7cA4vOXu4KwdMh7FKeSgJQ++qJUG2TYJ5AoGBASeIVQl5Ae+X6C96LMZh\n"
    "DQbwOgTiOy+wpHqaTEqLCkBlzHjejhMARBkWnX5pTOMi85m1cFBZMgjTpbwZpkNp\n"
    "BDMR/zbansgVdixOqmHNZ+5szxWmHy0pWTKaf3lBbroyUvCzR9iFVTpKaKsvFTYF\n"
    "5bch562UTyNVgFMBUqcVSINu\n"
    "-----END PRIVATE KEY-----\n";

static const char KEY_RSA3071[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIG+gIBADANBgkqhkiG9w0BAQEFAASCBuQwggbgAgEAAoIBgFkdQeiUC9M00PC1\n"
    "IljLBM62BnFOk7MASgBaaK2d6Syjn43dTfJyuVP3HpC+IvP1VSwP+S5df0RN9rio\n"
    "tgIev0I4V7IUKRGe5VJjVOMgDfTxh9nLdlJ+b/vl3PuRpokZKDb5+0fU44f6NAI+\n"
    "YJSzDlUg0CPEGz41Ycw4Mtyu2LUZrOIzVXcDABMF945gS+OBJ2nPSkR1lMi84pnm\n"
    "ux8CYbskoxQ6TcV7jAOe62qA20D9K4INYvy9aT5+/IIKfXaGInUh0JtqkSD7mz3B\n"
    "pw/DH6kUFvzG2I6nwDf9JT+GdoCJOuUrDjORSt5IA53crJx0/7spgoTZThrjZLUw\n"
    "4uGrWK4wnFHua5iD4s4pK4t0sTNwggVTN4Oyj//Zl1kwRlIziveB/d7wjV7SUDms\n"
    "j36U7TR3OHnQgtAFeVyYgmM17nPH6O/zcL56OLt3ypv0ujA3xiFXjH9mtEOE7oTz\n"
    "XENDuCV+wMYcEyVS7zmrzCHuLSMKsLLny52APdyQiqDjBacswwIDAQABAoIBgAdD\n"
    "MCThM9mBm2mSiXsNCJZEFWBUlArpgh5nP9KuZNtjdlRcbcbNfLcQE6ieJkEVhFxz\n"
    "7M3PhtitNec0sKiZkuK1rsfvhq1N8sh1GezsptaIfJbOUxVEAqJXyFukMhtINpPM\n"
    "aaMgAW8KgASSytIziX58jxnrGIFIXnEDP3nmsfiIYCOLJXLuhqoGOXeb93NSCkFA\n"
    "SIAtyPNXGWyLdkJ/sjFLOhMi8UWf3PhKkkr6t2OjflE6ABAy64nRVYjPjAwFwFzH\n"
    "b7z78HSSK6Ypxt6j/A4Q38HHEFs01aTVz1HF7EqI8mtQE2xOirRklBoqxTX8Yqd0\n"
    "wWv5tmh57OuvpZg8aX5F7qyJJcp7wtum4qKxhvJwkst/02JBi8NhMn9t3Redt1SH\n"
    "GmSWhwwNqO4tRzsefAFuQcpNvL0g4W+tJOlZ3ILtFtSOuCQiPyE7O/2NKHTkMrmK\n"
    "ULMn2es81+J5065FkTZLw4ugre8mwsGgmm4Ha1X3J+pGQ5YNa6PQltHwHu7qeQKB\n"
    "wQDbsK9HNVOr0IotDNjzCR0Hx5ykF8YVI4BSsXnc+N1P7txFTGNoxnGk/hZjdLUo\n"
    "RGgQri2Jq4T9nSYNyutftIHHCdYqYqbhAXYzH+IvAYraxXVraCJlkk3P+5EjfbpF\n"
    "Hi7mG7bDoUAs3rKAv+iS5+X3lV7mqCFICTFNi1TmbYVfLS4jIgi7qdm8KrCbd9Ar\n"
    "6eO9r3yReYd0bLdeOm2VZnhKSnuEdQl9TCvz7i4q63DSdFELCSKBANQgLYo38Jlz\n"
    "zKUCgcBn18YYjJjvBuqDPb4hkxrVNiaIGKhwKTAL274xptrhpimyNCQWYaOj03cX\n"
    "FkYe2Ah0lms77WVQELwPbfU2bKrGArt9yFZx71ryeZNKhAnswBRpGD07ak+owFxc\n"
    "HvE17g8H77M0w9br16xNHgyoxxjI4Fp7jOP1SWAkNY4wS7NJuzDSyHUmsh0qOuCK\n"
    "9CqT39pZcfwD8seGuuNBrGoxYBQBgJWePp3qVGpjunNrcUuP+gczxaWxa1g60WeI\n"
    "S/bQz0cCgcBjsW4Y9k4d7eiGQQpCX6RY33Bp1pABD7cvz3HpoNVtbItwtxV1engf\n"
    "0139i/yZZVGEIEZx7u/O1v1pzOe66oLp+8DAQzxPZwZodNODWUPVuz1pnDvfs+Cz\n"
    "vQlD/c4Fh4joyzLI2+fvdK+0VWIJKErna1VBfpJ7yhAhjFTerFyVsD77mno0DwPL\n"
    "q+Ow6VICW4UJkxUIPwoE/0DG9eS8o1969wnONf40adiYPUGeIHF2T2png6GwwNuC\n"
    "LqhGclxwfDECgcA+ef2/a2ff9+NEjvNDtAPi36+TFnLQ+Jblq5HkwaTTOmu/wcss\n"
    "hBY2TNZL16TcjdGYg5+E8LGR2F+tUNTFp9+fPqmbZdtMtVucozTRElv+Sxp8mI7O\n"
    "nonK1+E5s4wgjFgSyE6jomg+gQYzZ67qJM9unD0UNJI6U6k6X9ZqjEEUTUF0sBJ7\n"
    "85HEhKPwNjMfwQDX69JadclB8FMmghtqFYoz1S8vhDDyeVOBKP6kWAfEWgPXTEUC\n"
    "V7k/uhl2UW3v96UCgcBBWVDaaO2cmyyexIvwgiWL66qbndEIOpAgrnj+3GzeW8lf\n"
    "s7eMiIt2V+d620KeKoH3udN2h3Gmumw+1nW0A+aU0s3H3xerFNr6+u8zaxcGHhfv\n"
    "1YXPHzt86ZqgU4/BPCLItN6Rr7gj9LdRKc/JEAXvN9VKhWrJeSIFT5YDIYowTRuA\n"
    "DV6eZvT4UeHfSSmHFbEvrmZ6Ova5kE1s+KH9yFVoX4usQ3S3jCSR2AtywKoxo/ih\n"
    "mqh9cI5TdwE/Mc/uxnA=\n"
    "-----END PRIVATE KEY-----\n";

static const char KEY_RSA4096[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIJQgIBADANBgkqhkiG9w0BAQEFAASCCSwwggkoAgEAAoICAQCwtH10m5feC0tz\n"
    "ft4eVk5uQJtwHmGh+R+8xcqVNLYBKjzJ3mrAmyh760oGNpEzR7I/sHdH/cSEynhJ\n"
    "gzjcBhjIlRmgDksGSfclXMFmY7Yhui/iAWxBuUCSpHHOyhXKosXRQJ8QPktQomXM\n"
    "3sMwXcz4mvxiv62JuqNvWDtxpAPGNF5842zjOWh4pMhZnU3b8jhWE+6Gq3sFael2\n"
    "McTRYSlyD3Iu5HFg+P62Y7gTpNEkfmmFQS/Zja7Q5Yrqh2ZjM104DmZY+KNb2OOJ\n"
    "nU8fPz4dDFseuSgOzddiACWHgu1uREGAaQXNo3WjHmAyvKuFz1IhHHkUaHEtesIS\n"
    "LNVYXKhLx/riZjHL8QQV+4iWGyWXa+Xu3+rjfMlRPZXyOqLYeUUMnoN3tElqt8Al\n"
    "+uXay2C1YPhrBARw5U8uA+Y29TJUzuDCFpwDalX8zgyAkJ4qNjh0j94RTjOyXyDA\n"
    "CVPiNplf44KMcNkBhtl8GkN8CUVy7r91T4Pp27SvUyH1FZhgsFPEz1KXLN7wgCEv\n"
    "l5g/yHKqQzyciMbarAVKBNXXVe9z0LcFbSXg6mK0CliXu09bZXpLl0sQgtC4zl8V\n"
    "lmsF+skf7okAkAfGOU31evMPcYLgiFT7ocy1TXLhciOOe4Gv/SZeTjHkfnkPW40c\n"
    "s9GjBgHjbqD3i6rWDW78yl4t5vkM4QIDAQABAoICAARQpgMh1Q2vrCwh+BnYzPHB\n"
    "i2IrpcHzL9CX6mRmHP8uiT07PJNfPpf3FQ/Nh5JvYOWQATutcV32RUVzSkFKN1L3\n"
    "nCB11ORujDXZ++GMlAsjDS4JT5vTwqVKFXrhobJY8vhzCedXRBbQHmkINA9DbSDR\n"
    "hRICwQG84GaUyp/R6+MsTnXhhlxOn7PZf0h78EWrlq9YbYHVoGuPjGtN2BLuWtkd\n"
    "kjHds3yVHAA3c2xsYQyRdzFxN/JJtNAGWPP08j3AKHm41Uw9Jx0UMOtAf4kBbfp+\n"
    "3Z9EkXs6ENVEcGYsnvBrQ4e3mNQOlq3w7RO0GoKqH0TueXDzg3cDOUfBF0Ug/x2P\n"
    "LG8EwVPVQP1rbARuTv+lbtfijm3yuOrNwyJVijldPiJZxDAtpGhGuz1ZwsFsUdQr\n"
    "2m1c99doNUEKfJ8cVp3DAT5vmus5cgoEypIrqA+c3W5Qoem08CRucfLjQGiLBupN\n"
    "yx3RbvbHNQUrlk8CboH9sdhRTeBOnzuuUgwB1Oe0dmbE9bx3BwU39kZjvqhOji0H\n"
    "stTRU/X34pKCwZmUIhhW5XRt8bac0yXqmFLGcoZGGxGNCwVMwW0U7mva2UBLOjFV\n"
    "DwoIkz1I8poqKQANYAbQEYBz3aFg5QqLpyRwO93oeFTQhX1KL1i6QwpS0kMTd4FM\n"
    "AzbL+kNgR9sXufEERyXJAoIBAQDuMKaaeCHyhBHPX/EysJs1KGuq9k/XVXKN01aH\n"
    "qzT7F09ku1lcpYGAct+rNDCuOq1dB0+WDGbsVs8TOjrlUSCscqIqGM4zUnSUTmrC\n"
    "wmlA26f0PLHyhbMhztQ9TmIyThZ1L0VueJWxvmiQhvzEYdXwCy10jIGiS0Y8v7nd\n"
    "QUeFC5Lv4wZi+NA1Xl6EDK65xOozpsbiUyoL2ZpZ22XezV9Z3p1V/jpAMRKAKDs2\n"
    "mWDlehJQeGIXOjr1PluQej1CM1RDU9+W9+f0B8m+IThZRWPQkH4zN/Ms3LSWw2V5\n"
    "Ki04UHFpp3kVWDwLl/KgjBcvMHV7TvWjrB85zRUCHc1/yfTZAoIBAQC96upI4Wus\n"
    "/Myenz1rjrn11lDazmKNsyGAj6oq+Es4CQ2F1nGrgcWkZMvHqzyRR/HfGD5MUvUm\n"
    "RhfCHeHf5QbYgbCIvTi3PdgdLMPtS0O4OtairBh/oqkbETP3zck1v8leGhKsboEK\n"
    "Q/yBmgJ/+PXr9HGU6W6+NtV5ND/rHMQhU8uE2ywhTQCuqJtJKkLckr4ucLNfbItR\n"
    "rrtuvBWR0a7jsVf4a1N6bGDvoHS1nIdyNZYOmsywYCZ9zwo9wCH2rDiF5Ze6DZdW\n"
    "WSDgzgwP7fSsrggpH8RDRXa1ZPwE/gyQDLobsvry+V5h4/6lyJyomI+FEH5JUpPy\n"
    "peeb77dykzNJAoIBAAy5Yp0L39xhu8XVPUBU+OWdFCtc3yUEtornCE9VEQ58z0v1\n"
    "Si/N0542BMbTkeoszkgS9OhyHylu9b70NGM9sz4jHZCcJJ/PPtURX1iqJA9H7K/6\n"
    "chMfm1MqBmKEBnDjhQWbkdz16iFFp7ZYz7X5+ADLyBDa1K4D0Wu7XkV4kEaGOMJB\n"
    "4Xx2CEFhmjD5sHfSEiTSOvuqL6vUYw97zfRaCkb1wnfujdQSCwf3njordWas37+W\n"
    "vr646J9jRmbwcMdRkKXMHDynX6fEpr1Wbvkt4Mgqf+NikMYLwEXxiEExxJqmiXh4\n"
    "btp6DTMdWePDuBVYRF5i+HJW5pAi6YVkbC7wbfkCggEAGtEe/+eEssqHgiZuH8/p\n"
    "hkMa66qU0/llU6f1mVeyF1l/5VQgfN04MTxiYfFV/hWwm5XqxhA4uYzQMgLSMDFA\n"
    "xDWb3dMKPSWobIYzrEAicdMtF49BblRjmITXV7hhHwvTvUvlMx/vbKmo8Av1KmjX\n"
    "INhFaYeEsatAfXrZQ7OuJh6U8E+abaFX5VG9i5lCE69M13XmfiTvjzsjEEHSseJv\n"
    "1YrnJxbQlMrU7UE0+af+oCvc4ncNTCJnjQA9K/cDVLeAy7dds1HT+sdfEx9FKMKq\n"
    "9+8jC9uGdRFL79UwmOvejkCdzud48/IuV5hADtzC8jOIoHtxuZzFc0/l4mj4+F68\n"
    "sQKCAQEA5cGpCm6mly6asyrUe3dApuS5suB8TDf1652O25REe4pU+wxDSwROQORM\n"
    "N+5/ZB5dkSdgExfd2IMg4cdhIoroCQjgva9yU5k5edN92q3smNJUgyDW0+IM3cRo\n"
    "EWfWbXwrFycn80kXJ2QmHvBqaL7s0KXOlI4so0b4frqd1gcB87hIBRpgO84nyqu3\n"
    "ejk51Q0Qk9eD/frLOB4TfJYTvXjaHgwXDvL7KktWDrCt2K7uPCxlr4YH3SyodCUC\n"
    "UoxYAabpgPdv87tcaOaM2qH4eaMuY7nPC+chmFy5RSnWC8jElF4Nm5zRUIgInm2u\n"
    "w4qvE4NCupEM4a5g+rhb7p3gb3w4uA==\n"
    "-----END PRIVATE KEY-----\n";

/* A private key and its public half, as BearSSL's X.509 decoder gives a
 * peer's: from the credentials (certificate and key of certs.h) or from
 * a PEM key alone (the public key then computed from it, e = 65537). */
struct tkey {
  const char *name;
  const char *key_pem;
  const char *cert_pem; /* NULL: no certificate */
  unsigned bits;        /* RSA modulus bits, or the curve's */
  bool loaded, ok;
  const br_ec_private_key *ec;   /* EC keys */
  const br_rsa_private_key *rsa; /* RSA keys */
  br_x509_pkey pub;
  void *creds_mem;
  br_skey_decoder_context dc;
  br_x509_decoder_context xd;
  uint8_t pub_buf[512];
};

enum {
  K_EC256,
  K_EC384,
  K_EC521,
  K_RSA2048,
  K_RSA2049,
  K_RSA3071,
  K_RSA4096,
  K_COUNT
};

static struct tkey keys[K_COUNT] = {
    [K_EC256] = {.name = "P-256",
                 .key_pem = ZT_PEM_SERVER_EC_KEY,
                 .cert_pem = ZT_PEM_SERVER_EC_PEM,
                 .bits = 256},
    [K_EC384] = {.name = "P-384",
                 .key_pem = KEY_P384,
                 .cert_pem = NULL,
                 .bits = 384},
    [K_EC521] = {.name = "P-521",
                 .key_pem = ZT_PEM_P521_KEY,
                 .cert_pem = NULL,
                 .bits = 521},
    [K_RSA2048] = {.name = "RSA-2048",
                   .key_pem = ZT_PEM_SERVER_RSA_KEY,
                   .cert_pem = ZT_PEM_SERVER_RSA_PEM,
                   .bits = 2048},
    [K_RSA2049] = {.name = "RSA-2049",
                   .key_pem = KEY_RSA2049,
                   .cert_pem = NULL,
                   .bits = 2049},
    [K_RSA3071] = {.name = "RSA-3071",
                   .key_pem = KEY_RSA3071,
                   .cert_pem = NULL,
                   .bits = 3071},
    [K_RSA4096] = {.name = "RSA-4096",
                   .key_pem = KEY_RSA4096,
                   .cert_pem = NULL,
                   .bits = 4096},
};

/* The public key of a certificate's DER, into k->xd. */
static bool cert_pub(struct tkey *k, const void *der, size_t len) {
  br_x509_decoder_init(&k->xd, NULL, NULL);
  br_x509_decoder_push(&k->xd, der, len);
  const br_x509_pkey *pk = br_x509_decoder_get_pkey(&k->xd);
  if (pk == NULL)
    return false;
  k->pub = *pk;
  return true;
}

/* Through the library's own decoding: zn_tls_creds_init. */
static bool load_creds(struct tkey *k) {
  size_t need = 0;
  const char *why = NULL;
  struct zn_tls_creds *c = NULL;
  size_t cl = strlen(k->cert_pem), kl = strlen(k->key_pem);
  if (zn_tls_creds_measure(k->cert_pem, cl, k->key_pem, kl, &need, &why))
    return false;
  k->creds_mem = malloc(need);
  if (zn_tls_creds_init(k->cert_pem, cl, k->key_pem, kl, k->creds_mem, need, &c,
                        &why))
    return false;
  k->ec = c->is_ec ? &c->ec : NULL;
  k->rsa = c->is_ec ? NULL : &c->rsa;
  return cert_pub(k, c->chain[0].data, c->chain[0].data_len);
}

static void discard(void *ctx, const void *src, size_t len) {
  (void)ctx;
  (void)src;
  (void)len;
}

static void to_skey(void *ctx, const void *src, size_t len) {
  br_skey_decoder_push(ctx, src, len);
}

/* A PEM private key into k->dc. */
static bool pem_skey(struct tkey *k, const char *pem) {
  br_pem_decoder_context pc;
  br_pem_decoder_init(&pc);
  br_skey_decoder_init(&k->dc);
  size_t n = strlen(pem);
  while (n > 0) {
    size_t used = br_pem_decoder_push(&pc, pem, n);
    pem += used;
    n -= used;
    int ev = br_pem_decoder_event(&pc);
    if (ev == BR_PEM_BEGIN_OBJ) {
      bool is_key = strstr(br_pem_decoder_name(&pc), "PRIVATE KEY") != NULL;
      br_pem_decoder_setdest(&pc, is_key ? to_skey : discard, &k->dc);
    } else if (ev == BR_PEM_ERROR) {
      return false;
    }
  }
  return br_skey_decoder_last_error(&k->dc) == 0 &&
         br_skey_decoder_key_type(&k->dc) != 0;
}

/* A PEM key alone; the public half computed by BearSSL. */
static bool load_pem(struct tkey *k) {
  static unsigned char e65537[] = {1, 0, 1};
  if (!pem_skey(k, k->key_pem))
    return false;
  if (br_skey_decoder_key_type(&k->dc) == BR_KEYTYPE_EC) {
    k->ec = br_skey_decoder_get_ec(&k->dc);
    k->pub.key_type = BR_KEYTYPE_EC;
    return br_ec_compute_pub(br_ec_get_default(), &k->pub.key.ec, k->pub_buf,
                             k->ec) != 0;
  }
  k->rsa = br_skey_decoder_get_rsa(&k->dc);
  k->pub.key_type = BR_KEYTYPE_RSA;
  k->pub.key.rsa.n = k->pub_buf;
  /* i15's: BearSSL 0.6's i31 one fails for 4096-bit keys */
  k->pub.key.rsa.nlen = br_rsa_i15_compute_modulus(k->pub_buf, k->rsa);
  k->pub.key.rsa.e = e65537;
  k->pub.key.rsa.elen = sizeof(e65537);
  return k->pub.key.rsa.nlen != 0;
}

static struct tkey *key(int which) {
  struct tkey *k = &keys[which];
  if (!k->loaded) {
    k->loaded = true;
    k->ok = k->cert_pem ? load_creds(k) : load_pem(k);
    if (k->ok && k->rsa && k->rsa->n_bitlen != k->bits)
      k->ok = false;
    if (!k->ok)
      printf("# key %s does not load\n", k->name);
  }
  return k->ok ? k : NULL;
}

/* ---- helpers ---- */

static const uint8_t rnd_a[64] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54,
    0x76, 0x98, 0xba, 0xdc, 0xfe, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
    0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x0f,
    0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4,
    0xc3, 0xd2, 0xe1, 0xf0, 0x5a, 0xa5, 0x3c, 0xc3, 0x69, 0x96, 0x0f,
    0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf1};
static uint8_t rnd_b[64]; /* rnd_a reversed, made in main */

/* The hash of a scheme of §4.2.3: ECDSA's and PKCS #1's in the high
 * byte (4, 5, 6), RSA-PSS's in the low one (0x0804..6). */
static const br_hash_class *hash_of_scheme(uint16_t scheme) {
  switch ((scheme >> 8) == 0x08 ? scheme & 0xff : scheme >> 8) {
  case 0x04:
    return &br_sha256_vtable;
  case 0x05:
    return &br_sha384_vtable;
  default:
    return &br_sha512_vtable;
  }
}

static size_t hash_size(const br_hash_class *h) {
  return (size_t)(h->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
}

static void hash_into(const br_hash_class *h, const void *data, size_t len,
                      uint8_t *out) {
  br_hash_compat_context hc;
  h->init(&hc.vtable);
  h->update(&hc.vtable, data, len);
  h->out(&hc.vtable, out);
}

/* A server CertificateVerify content over a made-up transcript hash of
 * hash_len bytes (seed varies it). */
static size_t content_of(uint8_t seed, size_t hash_len, bool server,
                         uint8_t *out) {
  uint8_t th[48];
  for (size_t i = 0; i < hash_len; i++)
    th[i] = (uint8_t)(seed + 7 * i);
  return zn__tls13_cv_content(server, th, hash_len, out);
}

static const uint16_t all_schemes[] = {
    0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806,
    0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0201, 0x0203, 0x0000, 0xffff};

/* ---- §4.4.3's content ---- */

ZT_TEST(test_cv_content_is_rfc8446_layout) {
  uint8_t th[48], out[ZN__TLS13_CV_CONTENT_MAX], want[200];
  for (size_t i = 0; i < sizeof(th); i++)
    th[i] = (uint8_t)(0xa0 + i);
  memset(want, 0x20, 64);
  memcpy(want + 64, "TLS 1.3, server CertificateVerify", 33);
  want[97] = 0;
  memcpy(want + 98, th, 32);
  ZT_EQ(zn__tls13_cv_content(true, th, 32, out), 130);
  ZT_MEMEQ(out, want, 130);
  memcpy(want + 64, "TLS 1.3, client CertificateVerify", 33);
  memcpy(want + 98, th, 48);
  ZT_EQ(zn__tls13_cv_content(false, th, 48, out), 146);
  ZT_MEMEQ(out, want, 146);
  ZT_EQ(ZN__TLS13_CV_CONTENT_MAX, 146);
}

ZT_TEST(test_cv_content_longer_hash_refused) {
  uint8_t th[64] = {0}, out[ZN__TLS13_CV_CONTENT_MAX + 16];
  memset(out, 0x5a, sizeof(out));
  ZT_EQ(zn__tls13_cv_content(true, th, 49, out), 0);
  ZT_EQ(out[ZN__TLS13_CV_CONTENT_MAX], 0x5a);
}

/* ---- RSASSA-PSS: pss-vect.txt (PKCS #1 v2.1's test vectors) ---- */

/* Example 1: a 1024-bit key, signature example 1.1. */
#define EX1_N                                                                  \
  "a56e4a0e701017589a5187dc7ea841d156f2ec0e36ad52a44dfeb1e61f7ad991"           \
  "d8c51056ffedb162b4c0f283a12a88a394dff526ab7291cbb307ceabfce0b1df"           \
  "d5cd9508096d5b2b8b6df5d671ef6377c0921cb23c270a70e2598e6ff89d19f1"           \
  "05acc2d3f0cb35f29280e1386b6f64c4ef22e1e1f20d0ce8cffb2249bd9a2137"
#define EX1_P                                                                  \
  "e7e8942720a877517273a356053ea2a1bc0c94aa72d55c6e86296b2dfc967948"           \
  "c0a72cbccca7eacb35706e09a1df55a1535bd9b3cc34160b3b6dcd3eda8e6443"
#define EX1_Q                                                                  \
  "b69dca1cf7d4d7ec81e75b90fcca874abcde123fd2700180aa90479b6e48de8d"           \
  "67ed24f9f19d85ba275874f542cd20dc723e6963364a1f9425452b269a6799fd"
#define EX1_DP                                                                 \
  "28fa13938655be1f8a159cbaca5a72ea190c30089e19cd274a556f36c4f6e19f"           \
  "554b34c077790427bbdd8dd3ede2448328f385d81b30e8e43b2fffa027861979"
#define EX1_DQ                                                                 \
  "1a8b38f398fa712049898d7fb79ee0a77668791299cdfa09efc0e507acb21ed7"           \
  "4301ef5bfd48be455eaeb6e1678255827580a8e4e8e14151d1510a82a3f2e729"
#define EX1_QINV                                                               \
  "27156aba4126d24a81f3a528cbfb27f56886f840a9f6e86e17a44b94fe931958"           \
  "4b8e22fdde1e5a2e3bd8aa5ba8d8584194eb2190acf832b847f13a3d24a79f4d"
#define EX1_1_MSG                                                              \
  "cdc87da223d786df3b45e0bbbc721326d1ee2af806cc315475cc6f0d9c66e1b6"           \
  "2371d45ce2392e1ac92844c310102f156a0d8d52c1f4c40ba3aa65095786cb76"           \
  "9757a6563ba958fed0bcc984e8b517a3d5f515b23b8a41e74aa867693f90dfb0"           \
  "61a6e86dfaaee64472c00e5f20945729cbebe77f06ce78e08f4098fba41f9d61"           \
  "93c0317e8b60d4b6084acb42d29e3808a3bc372d85e331170fcbf7cc72d0b71c"           \
  "296648b3a4d10f416295d0807aa625cab2744fd9ea8fd223c42537029828bd16"           \
  "be02546f130fd2e33b936d2676e08aed1b73318b750a0167d0"
#define EX1_1_SALT "dee959c7e06411361420ff80185ed57f3e6776af"
#define EX1_1_SIG                                                              \
  "9074308fb598e9701b2294388e52f971faac2b60a5145af185df5287b5ed2887"           \
  "e57ce7fd44dc8634e407c8e0e4360bc226f3ec227f9d9e54638e8d31f5051215"           \
  "df6ebb9c2f9579aa77598a38f914b5b9c1bd83c4e2f9f382a0d0aa3542ffee65"           \
  "984a601bc69eb28deb27dca12c82c2d4c3f66cd500f1ff2b994d8a4e30cbb33c"

/* Example 2: a 1025-bit key (emLen 128, one byte short of k = 129),
 * signature examples 2.1 and 2.4. */
#define EX2_P                                                                  \
  "016601e926a0f8c9e26ecab769ea65a5e7c52cc9e080ef519457c644da6891c5"           \
  "a104d3ea7955929a22e7c68a7af9fcad777c3ccc2b9e3d3650bce404399b7e59"           \
  "d1"
#define EX2_Q                                                                  \
  "014eafa1d4d0184da7e31f877d1281ddda625664869e8379e67ad3b75eae74a5"           \
  "80e9827abd6eb7a002cb5411f5266797768fb8e95ae40e3e8a01f35ff89e56c0"           \
  "79"
#define EX2_DP                                                                 \
  "e247cce504939b8f0a36090de200938755e2444b29539a7da7a902f6056835c0"           \
  "db7b52559497cfe2c61a8086d0213c472c78851800b171f6401de2e9c2756f31"
#define EX2_DQ                                                                 \
  "b12fba757855e586e46f64c38a70c68b3f548d93d787b399999d4c8f0bbd2581"           \
  "c21e19ed0018a6d5d3df86424b3abcad40199d31495b61309f27c1bf55d487c1"
#define EX2_QINV                                                               \
  "564b1e1fa003bda91e89090425aac05b91da9ee25061e7628d5f51304a84992f"           \
  "dc33762bd378a59f030a334d532bd0dae8f298ea9ed844636ad5fb8cbdc03cad"
#define EX2_1_MSG                                                              \
  "daba032066263faedb659848115278a52c44faa3a76f37515ed336321072c40a"           \
  "9d9b53bc05014078adf520875146aae70ff060226dcb7b1f1fc27e9360"
#define EX2_1_SALT "57bf160bcb02bb1dc7280cf0458530b7d2832ff7"
#define EX2_1_SIG                                                              \
  "014c5ba5338328ccc6e7a90bf1c0ab3fd606ff4796d3c12e4b639ed9136a5fec"           \
  "6c16d8884bdd99cfdc521456b0742b736868cf90de099adb8d5ffd1deff39ba4"           \
  "007ab746cefdb22d7df0e225f54627dc65466131721b90af445363a8358b9f60"           \
  "7642f78fab0ab0f43b7168d64bae70d8827848d8ef1e421c5754ddf42c2589b5"           \
  "b3"
#define EX2_4_MSG "a7182c83ac18be6570a106aa9d5c4e3dbbd4afaeb0c60c4a23e1969d79ff"
#define EX2_4_SALT "8070ef2de945c02387684ba0d33096732235d440"
#define EX2_4_SIG                                                              \
  "009cd2f4edbe23e12346ae8c76dd9ad3230a62076141f16c152ba18513a48ef6"           \
  "f010e0e37fd3df10a1ec629a0cb5a3b5d2893007298c30936a95903b6ba85555"           \
  "d9ec3673a06108fd62a2fda56d1ce2e85c4db6b24a81ca3b496c36d4fd06eb7c"           \
  "9166d8e94877c42bea622b3bfe9251fdc21d8d5371badad78a488214796335b4"           \
  "0b"

/* A CRT private key from the vectors' hex, its numbers in v. */
struct vkey {
  struct blob p, q, dp, dq, iq;
  br_rsa_private_key sk;
  uint8_t n[512];
  br_rsa_public_key pk;
};

static void vkey_init(struct vkey *v, unsigned bits, const char *p,
                      const char *q, const char *dp, const char *dq,
                      const char *iq) {
  static unsigned char e65537[] = {1, 0, 1};
  v->p = B(p);
  v->q = B(q);
  v->dp = B(dp);
  v->dq = B(dq);
  v->iq = B(iq);
  v->sk =
      (br_rsa_private_key){bits,    v->p.b,  v->p.n,  v->q.b,  v->q.n, v->dp.b,
                           v->dp.n, v->dq.b, v->dq.n, v->iq.b, v->iq.n};
  v->pk.n = v->n;
  v->pk.nlen = br_rsa_i15_compute_modulus(v->n, &v->sk);
  v->pk.e = e65537;
  v->pk.elen = 3;
}

/* Sign msg (SHA-1) with salt: the vector's signature; it verifies. */
static void check_pss_vector(struct vkey *v, const char *msg, const char *salt,
                             const char *sig) {
  struct blob m = B(msg), s = B(salt), want = B(sig);
  uint8_t mh[20], got[512];
  hash_into(&br_sha1_vtable, m.b, m.n, mh);
  ZT_EQ(zn__rsa_pss_sign(&br_sha1_vtable, &v->sk, mh, s.b, got, sizeof(got)),
        want.n);
  ZT_MEMEQ(got, want.b, want.n);
  ZT_CHECK(zn__rsa_pss_verify(&br_sha1_vtable, &v->pk, mh, want.b, want.n));
  want.b[want.n - 1] ^= 1;
  ZT_CHECK(!zn__rsa_pss_verify(&br_sha1_vtable, &v->pk, mh, want.b, want.n));
}

ZT_TEST(test_pss_vector_1024_bits_matches) {
  struct vkey v;
  vkey_init(&v, 1024, EX1_P, EX1_Q, EX1_DP, EX1_DQ, EX1_QINV);
  struct blob n = B(EX1_N);
  ZT_EQ(v.pk.nlen, n.n);
  ZT_MEMEQ(v.n, n.b, n.n);
  check_pss_vector(&v, EX1_1_MSG, EX1_1_SALT, EX1_1_SIG);
}

ZT_TEST(test_pss_vector_1025_bits_matches) {
  struct vkey v;
  vkey_init(&v, 1025, EX2_P, EX2_Q, EX2_DP, EX2_DQ, EX2_QINV);
  ZT_EQ(v.pk.nlen, 129);
  check_pss_vector(&v, EX2_1_MSG, EX2_1_SALT, EX2_1_SIG);
  check_pss_vector(&v, EX2_4_MSG, EX2_4_SALT, EX2_4_SIG);
}

/* A 1024-bit key cannot carry SHA-512's EMSA-PSS (emLen 128 < 2 * 64 +
 * 2, RFC 8017 §9.1.1 step 3); SHA-384's fits. */
ZT_TEST(test_pss_key_too_short_for_hash_refused) {
  struct vkey v;
  vkey_init(&v, 1024, EX1_P, EX1_Q, EX1_DP, EX1_DQ, EX1_QINV);
  uint8_t mh[64] = {1}, sig[512];
  ZT_EQ(zn__rsa_pss_sign(&br_sha512_vtable, &v.sk, mh, rnd_a, sig, 512), 0);
  ZT_EQ(zn__rsa_pss_sign(&br_sha384_vtable, &v.sk, mh, rnd_a, sig, 512), 128);
  ZT_CHECK(zn__rsa_pss_verify(&br_sha384_vtable, &v.pk, mh, sig, 128));
  ZT_CHECK(!zn__rsa_pss_verify(&br_sha512_vtable, &v.pk, mh, sig, 128));
  ZT_EQ(zn__rsa_pss_sign(&br_sha384_vtable, &v.sk, mh, rnd_a, sig, 127), 0);
  /* and the scheme is not chosen for such a key */
  static const uint8_t list[] = {0x08, 0x06, 0x08, 0x05};
  ZT_EQU(zn__tls13_sig_choose(NULL, &v.sk, list, sizeof(list)), 0x0805);
  ZT_EQ(zn__tls13_sig_choose(NULL, &v.sk, list, 2), 0);
}

/* A signature made with a corrupted CRT exponent is wrong mod one
 * prime: it would give the factorisation away, so it never leaves. */
ZT_TEST(test_pss_faulty_private_key_gives_no_signature) {
  struct vkey v;
  vkey_init(&v, 1025, EX2_P, EX2_Q, EX2_DP, EX2_DQ, EX2_QINV);
  uint8_t mh[32] = {7}, sig[512], x[129];
  ZT_EQ(zn__rsa_pss_sign(&br_sha256_vtable, &v.sk, mh, rnd_a, sig, 512), 129);
  v.dq.b[10] ^= 0x04;
  memset(x, 0x11, sizeof(x));
  x[0] = 0;
  ZT_EQ(br_rsa_private_get_default()(x, &v.sk), 1); /* BearSSL can't tell */
  memset(sig, 0x77, sizeof(sig));
  ZT_EQ(zn__rsa_pss_sign(&br_sha256_vtable, &v.sk, mh, rnd_a, sig, 512), 0);
  for (size_t i = 0; i < 129; i++)
    ZT_EQ(sig[i], 0);
  v.dq.b[10] ^= 0x04;
  v.dp.b[3] ^= 0x80;
  ZT_EQ(zn__rsa_pss_sign(&br_sha256_vtable, &v.sk, mh, rnd_a, sig, 512), 0);
}

/* BearSSL's key generator: p = q = 3 mod 4 and e = 17, which the fault
 * check recomputes from the key (neither 65537 nor 3 fits). */
ZT_TEST(test_pss_key_with_other_exponent_signs) {
  static uint8_t kpriv[BR_RSA_KBUF_PRIV_SIZE(1024)];
  static uint8_t kpub[BR_RSA_KBUF_PUB_SIZE(1024)];
  br_hmac_drbg_context rng;
  br_hmac_drbg_init(&rng, &br_sha256_vtable, "test_tls13_sig", 14);
  br_rsa_private_key sk;
  br_rsa_public_key pk;
  ZT_REQUIRE(br_rsa_keygen_get_default()(&rng.vtable, &sk, kpriv, &pk, kpub,
                                         1024, 17) == 1);
  ZT_EQ(pk.elen, 1);
  ZT_EQ(pk.e[0], 17);
  uint8_t mh[32] = {9}, sig[512];
  ZT_EQ(zn__rsa_pss_sign(&br_sha256_vtable, &sk, mh, rnd_a, sig, 512), 128);
  ZT_CHECK(zn__rsa_pss_verify(&br_sha256_vtable, &pk, mh, sig, 128));
  sig[5] ^= 0x20;
  ZT_CHECK(!zn__rsa_pss_verify(&br_sha256_vtable, &pk, mh, sig, 128));
}

/* ---- RFC 8448 §3: the server's CertificateVerify ---- */

struct r8448 {
  br_x509_decoder_context xd;
  const br_x509_pkey *pk;
  uint8_t th[32];     /* SHA-256(CH || SH || EE || Certificate) */
  struct blob cv;     /* the CertificateVerify message */
  const uint8_t *sig; /* its signature, 128 bytes */
  size_t sig_len;
};

static bool r8448_load(struct r8448 *r) {
  struct blob cert = B(R8448_CERTIFICATE);
  /* Certificate: header (4), context length (1), list length (3), the
   * first entry's cert_data length (3), then its DER. */
  size_t len = (size_t)cert.b[8] << 16 | (size_t)cert.b[9] << 8 | cert.b[10];
  if (11 + len > cert.n)
    return false;
  br_x509_decoder_init(&r->xd, NULL, NULL);
  br_x509_decoder_push(&r->xd, cert.b + 11, len);
  r->pk = br_x509_decoder_get_pkey(&r->xd);
  const char *msgs[] = {R8448_CLIENT_HELLO, R8448_SERVER_HELLO,
                        R8448_ENCRYPTED_EXTENSIONS, R8448_CERTIFICATE};
  br_sha256_context h;
  br_sha256_init(&h);
  for (size_t i = 0; i < 4; i++) {
    struct blob m = B(msgs[i]);
    br_sha256_update(&h, m.b, m.n);
  }
  br_sha256_out(&h, r->th);
  r->cv = B(R8448_CERTIFICATE_VERIFY);
  r->sig = r->cv.b + 8;
  r->sig_len = (size_t)r->cv.b[6] << 8 | r->cv.b[7];
  return r->pk != NULL && r->pk->key_type == BR_KEYTYPE_RSA &&
         8 + r->sig_len == r->cv.n;
}

/* What a TLS 1.3 verifier does with it, without the size policy:
 * content, its SHA-256, RSASSA-PSS. */
static bool r8448_verify(const struct r8448 *r, bool server, const uint8_t *th,
                         const uint8_t *sig, size_t len) {
  uint8_t content[ZN__TLS13_CV_CONTENT_MAX], mh[32];
  size_t n = zn__tls13_cv_content(server, th, 32, content);
  hash_into(&br_sha256_vtable, content, n, mh);
  return zn__rsa_pss_verify(&br_sha256_vtable, &r->pk->key.rsa, mh, sig, len);
}

ZT_TEST(test_rfc8448_certificate_verify_accepted) {
  static struct r8448 r;
  ZT_REQUIRE(r8448_load(&r));
  ZT_EQ(r.cv.b[0], 0x0f);
  ZT_EQU(r.cv.b[4] << 8 | r.cv.b[5], ZN__TLS13_SIG_rsa_pss_rsae_sha256);
  ZT_EQ(r.sig_len, 128);
  ZT_EQ(r.pk->key.rsa.nlen, 128);
  ZT_CHECK(r8448_verify(&r, true, r.th, r.sig, r.sig_len));
}

ZT_TEST(test_rfc8448_certificate_verify_any_bit_flipped_refused) {
  static struct r8448 r;
  ZT_REQUIRE(r8448_load(&r));
  uint8_t sig[128];
  int accepted = 0;
  for (size_t bit = 0; bit < 8 * r.sig_len; bit++) {
    memcpy(sig, r.sig, r.sig_len);
    sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    accepted += r8448_verify(&r, true, r.th, sig, r.sig_len);
  }
  ZT_EQ(accepted, 0);
}

ZT_TEST(test_rfc8448_certificate_verify_other_content_refused) {
  static struct r8448 r;
  ZT_REQUIRE(r8448_load(&r));
  ZT_CHECK(!r8448_verify(&r, false, r.th, r.sig, r.sig_len)); /* client's */
  uint8_t th[32];
  for (size_t bit = 0; bit < 256; bit += 37) {
    memcpy(th, r.th, 32);
    th[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    ZT_CHECK(!r8448_verify(&r, true, th, r.sig, r.sig_len));
  }
  /* the same content under another hash */
  uint8_t content[ZN__TLS13_CV_CONTENT_MAX], mh[48];
  size_t n = zn__tls13_cv_content(true, r.th, 32, content);
  hash_into(&br_sha384_vtable, content, n, mh);
  ZT_CHECK(!zn__rsa_pss_verify(&br_sha384_vtable, &r.pk->key.rsa, mh, r.sig,
                               r.sig_len));
  /* a signature of the wrong length, or not below the modulus */
  ZT_CHECK(!r8448_verify(&r, true, r.th, r.sig, r.sig_len - 1));
  uint8_t big[129] = {0};
  memcpy(big + 1, r.sig, 128);
  ZT_CHECK(!r8448_verify(&r, true, r.th, big, 129));
  memset(big, 0xff, sizeof(big));
  ZT_CHECK(!r8448_verify(&r, true, r.th, big, 128));
}

/* zn__tls13_verify's policy: RSA under 2048 bits is refused there. */
ZT_TEST(test_rfc8448_key_below_policy_refused_by_tls13_verify) {
  static struct r8448 r;
  ZT_REQUIRE(r8448_load(&r));
  uint8_t content[ZN__TLS13_CV_CONTENT_MAX];
  size_t n = zn__tls13_cv_content(true, r.th, 32, content);
  ZT_CHECK(r8448_verify(&r, true, r.th, r.sig, r.sig_len));
  ZT_CHECK(!zn__tls13_verify(ZN__TLS13_SIG_rsa_pss_rsae_sha256, r.pk, content,
                             n, r.sig, r.sig_len));
}

/* ---- round trips ---- */

struct pair {
  int key;
  uint16_t scheme;
};

static const struct pair pairs[] = {
    {K_EC256, 0x0403},   {K_EC384, 0x0503},   {K_EC521, 0x0603},
    {K_RSA2048, 0x0804}, {K_RSA2048, 0x0805}, {K_RSA2048, 0x0806},
    {K_RSA2049, 0x0804}, {K_RSA2049, 0x0805}, {K_RSA2049, 0x0806},
    {K_RSA3071, 0x0804}, {K_RSA3071, 0x0805}, {K_RSA3071, 0x0806},
    {K_RSA4096, 0x0804}, {K_RSA4096, 0x0805}, {K_RSA4096, 0x0806},
};
#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

static size_t sign_with(const struct tkey *k, uint16_t scheme,
                        const uint8_t *content, size_t len, const uint8_t *rnd,
                        uint8_t *sig) {
  return zn__tls13_sign(scheme, k->ec, k->rsa, content, len, rnd, sig,
                        ZN__TLS13_SIG_MAX);
}

/* Sign and verify; then every other scheme, the client's content and
 * flipped bits (about 70 spread over the signature) refused. */
static void round_trip(const struct pair *p) {
  const struct tkey *k = key(p->key);
  ZT_REQUIRE(k != NULL);
  uint8_t content[ZN__TLS13_CV_CONTENT_MAX], other[ZN__TLS13_CV_CONTENT_MAX];
  uint8_t sig[ZN__TLS13_SIG_MAX];
  size_t n = content_of(0x42, 48, true, content);
  size_t m = content_of(0x42, 48, false, other);
  size_t len = sign_with(k, p->scheme, content, n, rnd_a, sig);
  if (k->rsa)
    ZT_EQ(len, (k->bits + 7) / 8);
  else
    ZT_CHECK(len > 8 && len <= 2 * 66 + 12 && sig[0] == 0x30);
  ZT_REQUIRE(len > 0);
  ZT_CHECK(zn__tls13_verify(p->scheme, &k->pub, content, n, sig, len));
  ZT_CHECK(!zn__tls13_verify(p->scheme, &k->pub, other, m, sig, len));
  ZT_CHECK(!zn__tls13_verify(p->scheme, &k->pub, content, n - 1, sig, len));
  for (size_t i = 0; i < sizeof(all_schemes) / sizeof(all_schemes[0]); i++)
    if (all_schemes[i] != p->scheme)
      ZT_CHECK(
          !zn__tls13_verify(all_schemes[i], &k->pub, content, n, sig, len));
  size_t step = 8 * len / 67 + 1;
  for (size_t bit = 0; bit < 8 * len; bit += step) {
    sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    if (zn__tls13_verify(p->scheme, &k->pub, content, n, sig, len))
      zt_fail(__FILE__, __LINE__, "bit %zu flipped verified", bit);
    sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  ZT_CHECK(zn__tls13_verify(p->scheme, &k->pub, content, n, sig, len));
  ZT_CHECK(!zn__tls13_verify(p->scheme, &k->pub, content, n, sig, len - 1));
}

ZT_TEST(test_round_trip_every_key_and_scheme) {
  for (size_t i = 0; i < NPAIRS; i++) {
    printf("# %s 0x%04x\n", keys[pairs[i].key].name, pairs[i].scheme);
    round_trip(&pairs[i]);
  }
}

/* PSS's salt is rnd: the same rnd, the same signature; another, another.
 * ECDSA's nonce comes from the key and hash (RFC 6979), not rnd. */
ZT_TEST(test_pss_salt_comes_from_rnd_ecdsa_is_deterministic) {
  const struct tkey *r = key(K_RSA2048), *e = key(K_EC256);
  ZT_REQUIRE(r != NULL && e != NULL);
  uint8_t content[ZN__TLS13_CV_CONTENT_MAX];
  uint8_t s1[ZN__TLS13_SIG_MAX], s2[ZN__TLS13_SIG_MAX], s3[ZN__TLS13_SIG_MAX];
  size_t n = content_of(1, 32, true, content);
  ZT_EQ(sign_with(r, 0x0804, content, n, rnd_a, s1), 256);
  ZT_EQ(sign_with(r, 0x0804, content, n, rnd_a, s2), 256);
  ZT_EQ(sign_with(r, 0x0804, content, n, rnd_b, s3), 256);
  ZT_MEMEQ(s1, s2, 256);
  ZT_CHECK(memcmp(s1, s3, 256) != 0);
  ZT_CHECK(zn__tls13_verify(0x0804, &r->pub, content, n, s3, 256));
  size_t l1 = sign_with(e, 0x0403, content, n, rnd_a, s1);
  size_t l2 = sign_with(e, 0x0403, content, n, rnd_b, s2);
  ZT_REQUIRE(l1 > 0);
  ZT_EQ(l1, l2);
  ZT_MEMEQ(s1, s2, l1);
}

ZT_TEST(test_sign_scheme_not_fitting_key_refused) {
  const struct tkey *e256 = key(K_EC256), *e384 = key(K_EC384);
  const struct tkey *rsa = key(K_RSA2048);
  ZT_REQUIRE(e256 && e384 && rsa);
  uint8_t content[ZN__TLS13_CV_CONTENT_MAX], sig[ZN__TLS13_SIG_MAX];
  size_t n = content_of(3, 32, true, content);
  for (size_t i = 0; i < sizeof(all_schemes) / sizeof(all_schemes[0]); i++) {
    uint16_t s = all_schemes[i];
    if (s != 0x0403)
      ZT_EQ(sign_with(e256, s, content, n, rnd_a, sig), 0);
    if (s != 0x0503)
      ZT_EQ(sign_with(e384, s, content, n, rnd_a, sig), 0);
    if (s < 0x0804 || s > 0x0806)
      ZT_EQ(sign_with(rsa, s, content, n, rnd_a, sig), 0);
    ZT_EQ(zn__tls13_sign(s, NULL, NULL, content, n, rnd_a, sig, sizeof(sig)),
          0);
  }
  /* no room for the signature */
  ZT_EQ(zn__tls13_sign(0x0804, NULL, rsa->rsa, content, n, rnd_a, sig, 255), 0);
  ZT_EQ(zn__tls13_sign(0x0403, e256->ec, NULL, content, n, rnd_a, sig, 8), 0);
}

/* A valid PKCS #1 v1.5 signature of the content: §4.4.3 says no. */
ZT_TEST(test_verify_pkcs1_signature_refused) {
  const struct tkey *k = key(K_RSA2048);
  ZT_REQUIRE(k != NULL);
  uint8_t content[ZN__TLS13_CV_CONTENT_MAX], mh[32], sig[256], out[32];
  size_t n = content_of(5, 32, true, content);
  hash_into(&br_sha256_vtable, content, n, mh);
  ZT_REQUIRE(br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, mh, 32, k->rsa,
                                             sig) == 1);
  ZT_CHECK(br_rsa_pkcs1_vrfy_get_default()(sig, 256, BR_HASH_OID_SHA256, 32,
                                           &k->pub.key.rsa, out) == 1);
  ZT_MEMEQ(out, mh, 32);
  ZT_CHECK(!zn__tls13_verify(0x0401, &k->pub, content, n, sig, 256));
  ZT_CHECK(!zn__tls13_verify(0x0804, &k->pub, content, n, sig, 256));
}

/* A valid ECDSA signature over P-256 with SHA-384 is not 0x0503, whose
 * curve is P-384 (§4.2.3); a P-384 one is not 0x0403; raw (r || s)
 * signatures are not TLS's DER. */
ZT_TEST(test_verify_ecdsa_curve_and_format_enforced) {
  const struct tkey *e256 = key(K_EC256), *e384 = key(K_EC384);
  ZT_REQUIRE(e256 && e384);
  const br_ec_impl *ec = br_ec_get_default();
  uint8_t content[ZN__TLS13_CV_CONTENT_MAX], h384[48], h256[32], sig[160];
  size_t n = content_of(6, 48, true, content);
  hash_into(&br_sha384_vtable, content, n, h384);
  hash_into(&br_sha256_vtable, content, n, h256);
  size_t len = br_ecdsa_sign_asn1_get_default()(ec, &br_sha384_vtable, h384,
                                                e256->ec, sig);
  ZT_REQUIRE(len > 0);
  ZT_CHECK(br_ecdsa_vrfy_asn1_get_default()(ec, h384, 48, &e256->pub.key.ec,
                                            sig, len) == 1);
  ZT_CHECK(!zn__tls13_verify(0x0503, &e256->pub, content, n, sig, len));
  len = br_ecdsa_sign_asn1_get_default()(ec, &br_sha256_vtable, h256, e384->ec,
                                         sig);
  ZT_REQUIRE(len > 0);
  ZT_CHECK(!zn__tls13_verify(0x0403, &e384->pub, content, n, sig, len));
  len = br_ecdsa_sign_raw_get_default()(ec, &br_sha256_vtable, h256, e256->ec,
                                        sig);
  ZT_REQUIRE(len == 64);
  ZT_CHECK(br_ecdsa_vrfy_raw_get_default()(ec, h256, 32, &e256->pub.key.ec, sig,
                                           len) == 1);
  ZT_CHECK(!zn__tls13_verify(0x0403, &e256->pub, content, n, sig, len));
}

/* A signature checked with a key of the other type. */
ZT_TEST(test_verify_key_of_other_type_refused) {
  const struct tkey *e = key(K_EC256), *r = key(K_RSA2048);
  ZT_REQUIRE(e && r);
  uint8_t content[ZN__TLS13_CV_CONTENT_MAX], se[ZN__TLS13_SIG_MAX],
      sr[ZN__TLS13_SIG_MAX];
  size_t n = content_of(8, 32, true, content);
  size_t le = sign_with(e, 0x0403, content, n, rnd_a, se);
  size_t lr = sign_with(r, 0x0804, content, n, rnd_a, sr);
  ZT_REQUIRE(le > 0 && lr > 0);
  ZT_CHECK(!zn__tls13_verify(0x0403, &r->pub, content, n, se, le));
  ZT_CHECK(!zn__tls13_verify(0x0804, &e->pub, content, n, sr, lr));
  ZT_CHECK(!zn__tls13_verify(0x0804, NULL, content, n, sr, lr));
}

/* ---- EMSA-PSS's structure, against an encoder of the test's own ---- */

/* RFC 8017 §9.1.1 again, written apart from tls13_sig.c's and with any
 * salt length: EM (ceil(em_bits/8) bytes) of mh. */
static void test_pss_encode(const br_hash_class *h, const uint8_t *mh,
                            const uint8_t *salt, size_t slen, size_t em_bits,
                            uint8_t *em) {
  static const uint8_t zeros[8];
  size_t hl = hash_size(h), em_len = (em_bits + 7) / 8;
  size_t db_len = em_len - hl - 1;
  br_hash_compat_context hc;
  h->init(&hc.vtable);
  h->update(&hc.vtable, zeros, 8);
  h->update(&hc.vtable, mh, hl);
  h->update(&hc.vtable, salt, slen);
  h->out(&hc.vtable, em + db_len);
  memset(em, 0, db_len);
  em[db_len - slen - 1] = 0x01;
  memcpy(em + db_len - slen, salt, slen);
  uint8_t block[64];
  for (size_t at = 0; at < db_len; at += hl) {
    uint32_t c = (uint32_t)(at / hl);
    uint8_t ctr[4] = {(uint8_t)(c >> 24), (uint8_t)(c >> 16), (uint8_t)(c >> 8),
                      (uint8_t)c};
    h->init(&hc.vtable);
    h->update(&hc.vtable, em + db_len, hl);
    h->update(&hc.vtable, ctr, 4);
    h->out(&hc.vtable, block);
    for (size_t i = 0; i < hl && at + i < db_len; i++)
      em[at + i] ^= block[i];
  }
  em[0] &= (uint8_t)(0xffu >> (8 * em_len - em_bits));
  em[em_len - 1] = 0xbc;
}

/* Our signatures, opened with BearSSL's public operation, hold the EM
 * the test's encoder makes from the same salt. */
ZT_TEST(test_pss_encoding_matches_independent_encoder) {
  static const int which[] = {K_RSA2048, K_RSA2049, K_RSA3071, K_RSA4096};
  for (size_t i = 0; i < 4; i++) {
    const struct tkey *k = key(which[i]);
    ZT_REQUIRE(k != NULL);
    size_t kb = (k->bits + 7) / 8, em_bits = k->bits - 1;
    size_t em_len = (em_bits + 7) / 8;
    for (uint16_t s = 0x0804; s <= 0x0806; s++) {
      const br_hash_class *h = hash_of_scheme(s);
      uint8_t mh[64], sig[512], want[512];
      for (size_t j = 0; j < sizeof(mh); j++)
        mh[j] = (uint8_t)(s + 3 * j);
      ZT_EQ(zn__rsa_pss_sign(h, k->rsa, mh, rnd_b, sig, sizeof(sig)), kb);
      ZT_REQUIRE(br_rsa_public_get_default()(sig, kb, &k->pub.key.rsa) == 1);
      want[0] = 0;
      test_pss_encode(h, mh, rnd_b, hash_size(h), em_bits, want + kb - em_len);
      ZT_MEMEQ(sig, want, kb);
    }
  }
}

/* Ways to break an EM that H does not cover, so that only the check of
 * RFC 8017 §9.1.2 (or §8.1.2's I2OSP) named can refuse it. */
enum forgery {
  F_NONE,       /* a good one, made without tls13_sig.c */
  F_TRAILER,    /* step 4: 0xbd instead of 0xbc */
  F_TOP_BIT,    /* step 6: a bit above emBits set */
  F_PS,         /* step 10: a PS byte not zero */
  F_SEPARATOR,  /* step 10: 0x03 instead of 0x01 */
  F_SHORT_SALT, /* step 10: a salt of 20 bytes, not hLen (§4.2.3) */
  F_ABOVE_EM,   /* §8.1.2 step 2c: emLen < k and the top byte not zero */
  F_H,          /* step 14: H changed */
};

static bool forge_break(enum forgery f, size_t kb, size_t em_bits, size_t hl,
                        uint8_t *x) {
  size_t em_len = (em_bits + 7) / 8, db_len = em_len - hl - 1;
  uint8_t *em = x + kb - em_len;
  switch (f) {
  case F_TRAILER:
    em[em_len - 1] = 0xbd;
    return true;
  case F_TOP_BIT: /* the lowest of the bits above emBits */
    if (8 * em_len == em_bits)
      return false;
    em[0] |= (uint8_t)(0x80u >> (8 * em_len - em_bits - 1));
    return true;
  case F_PS:
    em[1] ^= 0x01;
    return true;
  case F_SEPARATOR:
    em[db_len - hl - 1] ^= 0x02;
    return true;
  case F_ABOVE_EM:
    x[0] = 0x01;
    return kb > em_len;
  case F_H:
    em[db_len] ^= 0x01;
    return true;
  default:
    return true;
  }
}

/* A signature by k of a forged EM for mh, in sig (the modulus's
 * length); false if f does not apply to k or no salt tried gives a
 * value below n. */
static bool forge(const struct tkey *k, const br_hash_class *h,
                  const uint8_t *mh, enum forgery f, uint8_t *sig) {
  const uint8_t *n = k->pub.key.rsa.n;
  size_t nlen = k->pub.key.rsa.nlen;
  while (nlen > 0 && *n == 0) {
    n++;
    nlen--;
  }
  size_t kb = (k->bits + 7) / 8, em_bits = k->bits - 1;
  size_t em_len = (em_bits + 7) / 8, hl = hash_size(h);
  uint8_t salt[64];
  memcpy(salt, rnd_a, sizeof(salt));
  for (int t = 0; t < 256 && nlen == kb; t++) {
    salt[0] = (uint8_t)t;
    sig[0] = 0;
    test_pss_encode(h, mh, salt, f == F_SHORT_SALT ? 20 : hl, em_bits,
                    sig + kb - em_len);
    if (!forge_break(f, kb, em_bits, hl, sig))
      return false;
    if (memcmp(sig, n, kb) < 0)
      return br_rsa_private_get_default()(sig, k->rsa) == 1;
  }
  return false;
}

ZT_TEST(test_pss_verify_checks_every_step) {
  static const int which[] = {K_RSA2048, K_RSA2049, K_RSA3071};
  static const char *const names[] = {"none",     "trailer",   "top bit",
                                      "PS",       "separator", "short salt",
                                      "above EM", "H"};
  for (size_t i = 0; i < 3; i++) {
    const struct tkey *k = key(which[i]);
    ZT_REQUIRE(k != NULL);
    size_t kb = (k->bits + 7) / 8;
    for (uint16_t s = 0x0804; s <= 0x0806; s += 2) {
      const br_hash_class *h = hash_of_scheme(s);
      uint8_t mh[64] = {0x5c, 0x11}, sig[512];
      for (int f = F_NONE; f <= F_H; f++) {
        if (!forge(k, h, mh, (enum forgery)f, sig)) {
          printf("# %s 0x%04x: %s does not apply\n", k->name, s, names[f]);
          ZT_CHECK(f == F_TOP_BIT || f == F_ABOVE_EM);
          continue;
        }
        bool ok = zn__rsa_pss_verify(h, &k->pub.key.rsa, mh, sig, kb);
        if (ok != (f == F_NONE))
          zt_fail(__FILE__, __LINE__, "%s 0x%04x: forgery \"%s\" %s", k->name,
                  s, names[f], ok ? "accepted" : "refused");
      }
    }
  }
}

/* ---- the choice ---- */

static uint16_t choose(int which, const uint8_t *list, size_t len) {
  const struct tkey *k = key(which);
  return k ? zn__tls13_sig_choose(k->ec, k->rsa, list, len) : 0xdead;
}

#define CHOOSE(which, ...)                                                     \
  choose(which, (const uint8_t[]){__VA_ARGS__},                                \
         sizeof((const uint8_t[]){__VA_ARGS__}))

ZT_TEST(test_choose_ec_scheme_of_its_curve) {
  ZT_EQU(CHOOSE(K_EC256, 0x08, 0x04, 0x04, 0x03, 0x05, 0x03), 0x0403);
  ZT_EQU(CHOOSE(K_EC256, 0x05, 0x03, 0x06, 0x03, 0x08, 0x04), 0);
  ZT_EQU(CHOOSE(K_EC256, 0x04, 0x01, 0x08, 0x07), 0);
  ZT_EQU(CHOOSE(K_EC384, 0x04, 0x03, 0x05, 0x03), 0x0503);
  ZT_EQU(CHOOSE(K_EC384, 0x04, 0x03, 0x06, 0x03), 0);
  ZT_EQU(CHOOSE(K_EC521, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03), 0x0603);
  ZT_EQU(CHOOSE(K_EC521, 0x04, 0x03, 0x05, 0x03), 0);
}

ZT_TEST(test_choose_rsa_first_pss_rsae_in_peer_order) {
  ZT_EQU(CHOOSE(K_RSA2048, 0x04, 0x03, 0x08, 0x06, 0x08, 0x04), 0x0806);
  ZT_EQU(CHOOSE(K_RSA2048, 0x08, 0x05, 0x08, 0x04), 0x0805);
  ZT_EQU(CHOOSE(K_RSA2048, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04),
         0x0804);
  ZT_EQU(CHOOSE(K_RSA2048, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b), 0);
  ZT_EQU(CHOOSE(K_RSA2048, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x04, 0x03), 0);
  ZT_EQU(CHOOSE(K_RSA4096, 0x06, 0x01, 0x08, 0x06), 0x0806);
}

ZT_TEST(test_choose_list_edges) {
  const struct tkey *r = key(K_RSA2048);
  ZT_REQUIRE(r != NULL);
  static const uint8_t list[] = {0x08, 0x04, 0x08};
  ZT_EQU(zn__tls13_sig_choose(NULL, r->rsa, list, 0), 0);
  ZT_EQU(zn__tls13_sig_choose(NULL, r->rsa, list, 1), 0);
  ZT_EQU(zn__tls13_sig_choose(NULL, r->rsa, list, 3), 0x0804);
  ZT_EQU(zn__tls13_sig_choose(NULL, r->rsa, list + 1, 2), 0); /* 0x0408 */
  ZT_EQU(zn__tls13_sig_choose(NULL, NULL, list, 2), 0);
}

/* ---- OpenSSL's command line ---- */

static char tmpdir[] = "/tmp/zt-tls13-sig-XXXXXX";
static bool tmpdir_made;

/* Run a shell command (printf format) quietly; its exit status. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...) {
  char cmd[2048];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(cmd, sizeof(cmd) - 20, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof(cmd) - 20)
    return -1;
  strcat(cmd, " >/dev/null 2>&1");
  int st = system(cmd);
  return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *path(const char *name) {
  static char p[4][128];
  static int next;
  char *s = p[next++ % 4];
  snprintf(s, 128, "%s/%s", tmpdir, name);
  return s;
}

static bool put(const char *name, const void *data, size_t len) {
  FILE *f = fopen(path(name), "wb");
  if (f == NULL)
    return false;
  bool ok = fwrite(data, 1, len, f) == len;
  return fclose(f) == 0 && ok;
}

static size_t get(const char *name, uint8_t *buf, size_t cap) {
  FILE *f = fopen(path(name), "rb");
  if (f == NULL)
    return 0;
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

/* Whether openssl runs here; the temporary directory made. */
static bool openssl_ready(void) {
  if (sh("openssl version") != 0) {
    zt_skip("no openssl command");
    return false;
  }
  if (!tmpdir_made && mkdtemp(tmpdir) != NULL)
    tmpdir_made = true;
  return tmpdir_made;
}

/* key.pem and pub.pem of k for openssl. */
static bool openssl_key(const struct tkey *k) {
  return put("key.pem", k->key_pem, strlen(k->key_pem)) &&
         sh("openssl pkey -in %s -pubout -out %s", path("key.pem"),
            path("pub.pem")) == 0;
}

/* dgst's options for scheme: the hash, and PSS's padding and salt. */
static const char *dgst_opts(uint16_t scheme, char *buf, size_t cap) {
  size_t h = hash_size(hash_of_scheme(scheme));
  if ((scheme >> 8) == 0x08)
    snprintf(buf, cap,
             "-sha%zu -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:%zu",
             h * 8, h);
  else
    snprintf(buf, cap, "-sha%zu", h * 8);
  return buf;
}

static void openssl_checks_ours(const struct pair *p) {
  const struct tkey *k = key(p->key);
  ZT_REQUIRE(k != NULL && openssl_key(k));
  uint8_t content[ZN__TLS13_CV_CONTENT_MAX], sig[ZN__TLS13_SIG_MAX];
  char opts[128];
  size_t n = content_of(0x99, 48, true, content);
  size_t len = sign_with(k, p->scheme, content, n, rnd_b, sig);
  ZT_REQUIRE(len > 0 && put("content.bin", content, n) &&
             put("sig.bin", sig, len));
  dgst_opts(p->scheme, opts, sizeof(opts));
  int rc = sh("openssl dgst %s -verify %s -signature %s %s", opts,
              path("pub.pem"), path("sig.bin"), path("content.bin"));
  if (rc != 0)
    printf("# openssl refuses our %s 0x%04x signature\n", k->name, p->scheme);
  ZT_EQ(rc, 0);
  /* the check can fail: another salt length, another hash */
  if ((p->scheme >> 8) == 0x08)
    rc = sh("openssl dgst %s -sigopt rsa_padding_mode:pss "
            "-sigopt rsa_pss_saltlen:20 -verify %s -signature %s %s",
            p->scheme == 0x0804 ? "-sha256" : "-sha512", path("pub.pem"),
            path("sig.bin"), path("content.bin"));
  else
    rc = sh("openssl dgst -sha1 -verify %s -signature %s %s", path("pub.pem"),
            path("sig.bin"), path("content.bin"));
  ZT_CHECK(rc != 0);
}

static void ours_check_openssl(const struct pair *p) {
  const struct tkey *k = key(p->key);
  ZT_REQUIRE(k != NULL && openssl_key(k));
  uint8_t content[ZN__TLS13_CV_CONTENT_MAX], sig[ZN__TLS13_SIG_MAX + 1];
  char opts[128];
  size_t n = content_of(0x55, 32, false, content);
  ZT_REQUIRE(put("content.bin", content, n));
  dgst_opts(p->scheme, opts, sizeof(opts));
  ZT_REQUIRE(sh("openssl dgst %s -sign %s -out %s %s", opts, path("key.pem"),
                path("sig.bin"), path("content.bin")) == 0);
  size_t len = get("sig.bin", sig, sizeof(sig));
  ZT_REQUIRE(len > 0 && len <= ZN__TLS13_SIG_MAX);
  if (!zn__tls13_verify(p->scheme, &k->pub, content, n, sig, len))
    zt_fail(__FILE__, __LINE__, "openssl's %s 0x%04x signature refused",
            k->name, p->scheme);
  content[n - 1] ^= 1;
  ZT_CHECK(!zn__tls13_verify(p->scheme, &k->pub, content, n, sig, len));
}

ZT_TEST(test_openssl_verifies_our_signatures) {
  if (!openssl_ready())
    return;
  for (size_t i = 0; i < NPAIRS; i++)
    openssl_checks_ours(&pairs[i]);
}

ZT_TEST(test_openssl_signatures_verify_here) {
  if (!openssl_ready())
    return;
  for (size_t i = 0; i < NPAIRS; i++)
    ours_check_openssl(&pairs[i]);
}

static void tmpdir_remove(void) {
  if (!tmpdir_made)
    return;
  const char *names[] = {"key.pem", "pub.pem", "content.bin", "sig.bin"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    unlink(path(names[i]));
  rmdir(tmpdir);
}

int main(void) {
  for (size_t i = 0; i < sizeof(rnd_b); i++)
    rnd_b[i] = rnd_a[sizeof(rnd_a) - 1 - i];
  ZT_RUN(test_cv_content_is_rfc8446_layout);
  ZT_RUN(test_cv_content_longer_hash_refused);
  ZT_RUN(test_pss_vector_1024_bits_matches);
  ZT_RUN(test_pss_vector_1025_bits_matches);
  ZT_RUN(test_pss_key_too_short_for_hash_refused);
  ZT_RUN(test_pss_faulty_private_key_gives_no_signature);
  ZT_RUN(test_pss_key_with_other_exponent_signs);
  ZT_RUN(test_rfc8448_certificate_verify_accepted);
  ZT_RUN(test_rfc8448_certificate_verify_any_bit_flipped_refused);
  ZT_RUN(test_rfc8448_certificate_verify_other_content_refused);
  ZT_RUN(test_rfc8448_key_below_policy_refused_by_tls13_verify);
  ZT_RUN(test_round_trip_every_key_and_scheme);
  ZT_RUN(test_pss_salt_comes_from_rnd_ecdsa_is_deterministic);
  ZT_RUN(test_pss_encoding_matches_independent_encoder);
  ZT_RUN(test_pss_verify_checks_every_step);
  ZT_RUN(test_sign_scheme_not_fitting_key_refused);
  ZT_RUN(test_verify_pkcs1_signature_refused);
  ZT_RUN(test_verify_ecdsa_curve_and_format_enforced);
  ZT_RUN(test_verify_key_of_other_type_refused);
  ZT_RUN(test_choose_ec_scheme_of_its_curve);
  ZT_RUN(test_choose_rsa_first_pss_rsae_in_peer_order);
  ZT_RUN(test_choose_list_edges);
  ZT_RUN(test_openssl_verifies_our_signatures);
  ZT_RUN(test_openssl_signatures_verify_here);
  tmpdir_remove();
  for (int i = 0; i < K_COUNT; i++)
    free(keys[i].creds_mem);
  return zt_done();
}
