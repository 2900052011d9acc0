/* shmwrite.c with the article's semaphore fix ("Core Technology: Interprocess communication",
 * Valentine Sinitsyn, section "One at time").
 *
 * The article prints the semaphore code for shmread.c only and says the code for shmwrite is
 * "almost identical": it "increments the write lock, and decrements it back when done", while
 * the reader's increment "in turn waits for zero in shmwrite". wlock and wunlock below are that
 * description written the way the article writes rlock and runlock: wait for counter 0 (readers)
 * to be zero and increment counter 1 (writers) with SEM_UNDO, atomically; then decrement
 * counter 1, without SEM_UNDO, like runlock.
 *
 * Changed only so that it compiles: typographic quotes are plain quotes; <sys/sem.h> is
 * included and `int semid;` declared. Everything else is shmwrite.c as printed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/types.h>

#define PROJ_ID 903
#define SEG_SIZE 4096

/* This is for shmwrite.c */
struct sembuf wlock[2] = {0, 0, 0, 1, 1, SEM_UNDO};
struct sembuf wunlock = {1, -1, 0};

int main(int argc, char** argv) {
  key_t key;
  int shmid;
  int semid;
  char* seg = NULL;

  if (argc < 2) exit(1);

  key = ftok("/etc/hostname", PROJ_ID);
  shmid = shmget(key, SEG_SIZE, IPC_CREAT | 0666);
  seg = (char*)shmat(shmid, NULL, 0);

  semid = semget(key, 2, IPC_CREAT | 0666);
  semop(semid, &wlock[0], 2);
  strncpy(seg, argv[1], SEG_SIZE);
  semop(semid, &wunlock, 1);

  shmdt(seg);

  return 0;
}
