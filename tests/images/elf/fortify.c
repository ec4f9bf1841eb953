// Calls the libc functions that _FORTIFY_SOURCE rewrites to their __*_chk forms when the
// compiler can see the destination size, plus a few it cannot check, so that a build with
// and without -D_FORTIFY_SOURCE=2 differs in its fortified and fortifiable counts.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  char name[32];
  char line[64];
  char copy[16];
  strcpy(name, argc > 1 ? argv[1] : "clearbox");
  memcpy(copy, name, sizeof copy - 1);
  copy[sizeof copy - 1] = '\0';
  sprintf(line, "%s:%d", copy, argc);
  printf("%s %s\n", line, name);
  ssize_t got = read(0, line, sizeof line);
  if (got > 0) fwrite(line, 1, (size_t)got, stdout);
  snprintf(line, sizeof line, "%zd", got);
  puts(line);
  return (int)strlen(line) + atoi(copy);
}
