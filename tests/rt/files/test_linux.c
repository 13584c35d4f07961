#include "zt.h"
int main(void) { return zt_done(); }
