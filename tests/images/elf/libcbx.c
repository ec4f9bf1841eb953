// A small shared library with a SONAME and a search path, linked by daemon.c.
#include <string.h>

int cbx_check(const char* user, const char* password) {
  char buffer[64];
  strncpy(buffer, password, sizeof buffer - 1);
  buffer[sizeof buffer - 1] = '\0';
  return strcmp(user, "admin") == 0 && strcmp(buffer, "backdoor") == 0;
}
