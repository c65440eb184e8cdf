//===- ffc.cpp - the ffc compiler -----------------------------------------===//
#include "tools/ffc/Driver.h"

int main(int argc, char **argv) { return ffc::runFfcMain(argc, argv); }
