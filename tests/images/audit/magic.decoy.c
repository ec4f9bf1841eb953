/* Decoys: a network daemon with constant comparisons that guard nothing dangerous
 * ("--help" then printf, "reboot" then system("reboot")), a shell started after a comparison
 * with a stored (not constant) password, and a system() call guarded by no comparison. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char stored[64];

static void serve(int fd) {
  char buf[128];
  ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return;
  buf[n] = 0;
  buf[strcspn(buf, "\r\n")] = 0;
  if (strcmp(buf, "reboot") == 0) {
    system("reboot");
    return;
  }
  if (strcmp(buf, stored) == 0) {
    dup2(fd, 0);
    dup2(fd, 1);
    execl("/bin/sh", "sh", (char *)0);
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--help") == 0) {
    printf("usage: %s [--help]\n", argv[0]);
    return 0;
  }
  FILE *f = fopen("/etc/mgmt.pass", "r");
  if (f && fgets(stored, sizeof stored, f)) stored[strcspn(stored, "\n")] = 0;
  system("/bin/sh /etc/mgmt.start");
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(9001);
  bind(s, (struct sockaddr *)&a, sizeof a);
  listen(s, 4);
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) continue;
    serve(c);
    close(c);
  }
}
