/* shmread.c with the article's semaphore fix ("Core Technology: Interprocess communication",
 * Valentine Sinitsyn, section "One at time"), typed in as printed; the article shows only the
 * additions, with "..." for shmread.c's code, which is filled in from shmread.c.
 *
 * Changed only so that it compiles: typographic quotes are plain quotes; "%sn" is "%s\n"; the
 * "..." are shmread.c's includes, defines and body (see shmread.c); `int semid;` is declared.
 * The semaphore code is the article's, including its flat initializer for rlock (two struct
 * sembuf, {sem_num, sem_op, sem_flg} each) and its unlock without SEM_UNDO.
 *
 * Protocol: counter 0 counts readers, counter 1 writers. rlock waits for counter 1 to be zero
 * and increments counter 0, atomically; runlock decrements counter 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/types.h>

#define PROJ_ID 903
#define SEG_SIZE 4096

/* This is for shmread.c */
struct sembuf rlock[2] = {1, 0, 0, 0, 1, SEM_UNDO};
struct sembuf runlock = {0, -1, 0};

int main(int argc, char** argv) {
  key_t key;
  int shmid;
  int semid;
  char* seg = NULL;

  key = ftok("/etc/hostname", PROJ_ID);
  shmid = shmget(key, SEG_SIZE, 0600);
  seg = (char*)shmat(shmid, NULL, SHM_RDONLY);

  semid = semget(key, 2, IPC_CREAT | 0666);
  semop(semid, &rlock[0], 2);
  printf("%s\n", seg);
  semop(semid, &runlock, 1);

  shmdt(seg);

  return 0;
}
