#include "tls_fixture.h"
int main(void) { return zt_done(); }
