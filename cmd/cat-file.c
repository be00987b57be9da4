#include "config.h"
#include "cmd.h"
static int cmd_main(int argc, char **argv) { (void)argc; (void)argv; return 1; }
const struct acore_cmd acore_cmd_cat_file = { "cat-file", "", "", cmd_main };
