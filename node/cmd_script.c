/* cmd_script.c: placeholder until the script verbs land. */
#include "cmd.h"

const struct cmd_verb cmd_script_verbs[] = {{NULL, NULL, NULL}};
void cmd_script_after_io(struct node *n) { (void)n; }
void cmd_script_free(struct node *n) { (void)n; }
