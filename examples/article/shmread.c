/* shmread.c, typed in from the article ("Core Technology: Interprocess communication",
 * Valentine Sinitsyn). The article prints only the body of main() and says it "should go into
 * main() of shmread.c"; the rest is shmwrite.c's frame.
 *
 * Changed only so that it compiles: typographic quotes are plain quotes; "%sn" is the article's
 * typesetting of "%s\n"; the includes, PROJ_ID, SEG_SIZE and the declarations of key, shmid and
 * seg are taken from shmwrite.c, with <stdio.h> added for printf. There is still no error
 * handling: with no segment, shmget() and shmat() fail and printf() reads from (char *)-1, so
 * the program crashes, as the article's would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

#define PROJ_ID 903
#define SEG_SIZE 4096

int main(int argc, char** argv) {
  key_t key;
  int shmid;
  char* seg = NULL;

  key = ftok("/etc/hostname", PROJ_ID);
  shmid = shmget(key, SEG_SIZE, 0600);
  seg = (char*)shmat(shmid, NULL, SHM_RDONLY);
  printf("%s\n", seg);
  shmdt(seg);

  return 0;
}
