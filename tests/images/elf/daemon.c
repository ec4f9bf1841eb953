// A toy router daemon that runs shell commands: the auditor looks for system() and popen()
// among a binary's imported functions.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int cbx_check(const char* user, const char* password);

int main(int argc, char** argv) {
  if (argc > 2 && cbx_check(argv[1], argv[2])) {
    char command[128];
    snprintf(command, sizeof command, "ping -c 1 %s", argc > 3 ? argv[3] : "127.0.0.1");
    FILE* out = popen(command, "r");
    if (out) pclose(out);
    return system("/bin/true");
  }
  return 1;
}
