/* shmwrite.c, typed in from the article ("Core Technology: Interprocess communication",
 * Valentine Sinitsyn), with its error handling omitted "for brevity", as printed.
 *
 * Changed only so that it compiles: the article's typographic quotes around "/etc/hostname" are
 * plain quotes here. Everything else is as printed, including strncpy(seg, argv[1], SEG_SIZE),
 * which leaves the segment without a terminating NUL when the text is 4096 bytes or longer.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

#define PROJ_ID 903
#define SEG_SIZE 4096

int main(int argc, char** argv) {
  key_t key;
  int shmid;
  char* seg = NULL;

  if (argc < 2) exit(1);

  key = ftok("/etc/hostname", PROJ_ID);
  shmid = shmget(key, SEG_SIZE, IPC_CREAT | 0666);
  seg = (char*)shmat(shmid, NULL, 0);
  strncpy(seg, argv[1], SEG_SIZE);
  shmdt(seg);

  return 0;
}
