/*
 * The examples' plumbing is libznet-app's inside now (app/app_int.h, see
 * app/meson.build).  This name stays only for what still includes it by
 * its old path (bench/znb-znet.c); new code includes "app_int.h".
 */
#include "../app/app_int.h"
