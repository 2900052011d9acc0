/* sysv_fixture: builds a fixed set of System V objects for the ipcs/ipcmk/ipcrm compatibility
 * tests, then holds its attachments (and its blocked semop children) until it is signalled.
 *
 * Run it inside a private IPC namespace (unshare --ipc): it creates objects with fixed keys and
 * never removes them; the namespace, and every object in it, dies with its last process.
 *
 * Commands, read from argv left to right ("last" is the object the previous create made):
 *   shm KEY SIZE MODE        shmget(KEY, SIZE, IPC_CREAT|IPC_EXCL|MODE); KEY 0 is IPC_PRIVATE
 *   attach N                 shmat the last segment N times (nattch counts each)
 *   touch                    write to every page of the last attachment (resident pages)
 *   rmid                     IPC_RMID on the last object (a still-attached segment: "dest")
 *   lock                     SHM_LOCK on the last segment
 *   own UID GID              IPC_SET owner of the last object
 *   sem KEY NSEMS MODE       semget(KEY, NSEMS, IPC_CREAT|IPC_EXCL|MODE)
 *   setval NUM VALUE         semctl(SETVAL) on the last set
 *   semop NUM DELTA          semop(NUM, DELTA) on the last set (sets otime and sempid)
 *   waitzero NUM             fork a child blocked waiting for NUM to be zero (zcount)
 *   waitdec NUM              fork a child blocked decrementing NUM (ncount)
 *   msg KEY MODE             msgget(KEY, IPC_CREAT|IPC_EXCL|MODE)
 *   send TYPE SIZE           msgsnd a message of SIZE bytes on the last queue
 *   recv                     msgrcv the first message of the last queue
 *   qbytes N                 IPC_SET msg_qbytes of the last queue
 *   sleep MS                 sleep (to separate timestamps)
 * Prints "ready" once everything is made, then holds everything until SIGTERM, SIGINT or
 * SIGHUP (or its parent dies); exits 0, or 1 with a message naming the failed command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun_arg {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

enum kind { NONE, SHM, SEM, MSG };

static void die(const char* what) {
  fprintf(stderr, "sysv_fixture: %s: %s\n", what, strerror(errno));
  exit(1);
}

static long num(const char* s) {
  char* end;
  errno = 0;
  long v = strtol(s, &end, 0);
  if (errno || *end) {
    fprintf(stderr, "sysv_fixture: bad number '%s'\n", s);
    exit(1);
  }
  return v;
}

static pid_t children[64];
static int nchildren;

static void spawn_semop(int semid, int semnum, int delta) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the fixture, even if it is SIGKILLed */
    if (getppid() == 1) _exit(0);
    struct sembuf op = {(unsigned short)semnum, (short)delta, 0};
    semop(semid, &op, 1);
    _exit(0);
  }
  children[nchildren++] = pid;
}

int main(int argc, char** argv) {
  enum kind last = NONE;
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGHUP);
  sigprocmask(SIG_BLOCK, &stop, NULL); /* taken with sigwait below; children inherit it blocked */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  int id = -1;
  void* addr = NULL;
  size_t size = 0;
  for (int i = 1; i < argc; i++) {
    const char* cmd = argv[i];
#define ARG(n)                    \
  (i + (n) < argc ? argv[i + (n)] \
                  : (fprintf(stderr, "sysv_fixture: %s: missing argument\n", cmd), exit(1), ""))
    if (!strcmp(cmd, "shm")) {
      size = (size_t)num(ARG(2));
      id = shmget((key_t)num(ARG(1)), size, IPC_CREAT | IPC_EXCL | (int)num(ARG(3)));
      if (id < 0) die("shmget");
      last = SHM;
      i += 3;
    } else if (!strcmp(cmd, "attach")) {
      long n = num(ARG(1));
      for (long k = 0; k < n; k++) {
        addr = shmat(id, NULL, 0);
        if (addr == (void*)-1) die("shmat");
      }
      i += 1;
    } else if (!strcmp(cmd, "touch")) {
      for (size_t off = 0; off < size; off += 4096)
        ((volatile char*)addr)[off] = 1;
    } else if (!strcmp(cmd, "rmid")) {
      int rc = last == SHM   ? shmctl(id, IPC_RMID, NULL)
               : last == SEM ? semctl(id, 0, IPC_RMID)
                             : msgctl(id, IPC_RMID, NULL);
      if (rc < 0) die("IPC_RMID");
    } else if (!strcmp(cmd, "lock")) {
      if (shmctl(id, SHM_LOCK, NULL) < 0) die("SHM_LOCK");
    } else if (!strcmp(cmd, "own")) {
      uid_t uid = (uid_t)num(ARG(1));
      gid_t gid = (gid_t)num(ARG(2));
      int rc;
      if (last == SHM) {
        struct shmid_ds ds;
        if (shmctl(id, IPC_STAT, &ds) < 0) die("IPC_STAT");
        ds.shm_perm.uid = uid, ds.shm_perm.gid = gid;
        rc = shmctl(id, IPC_SET, &ds);
      } else if (last == SEM) {
        struct semid_ds ds;
        union semun_arg a = {.buf = &ds};
        if (semctl(id, 0, IPC_STAT, a) < 0) die("IPC_STAT");
        ds.sem_perm.uid = uid, ds.sem_perm.gid = gid;
        rc = semctl(id, 0, IPC_SET, a);
      } else {
        struct msqid_ds ds;
        if (msgctl(id, IPC_STAT, &ds) < 0) die("IPC_STAT");
        ds.msg_perm.uid = uid, ds.msg_perm.gid = gid;
        rc = msgctl(id, IPC_SET, &ds);
      }
      if (rc < 0) die("IPC_SET");
      i += 2;
    } else if (!strcmp(cmd, "sem")) {
      id = semget((key_t)num(ARG(1)), (int)num(ARG(2)), IPC_CREAT | IPC_EXCL | (int)num(ARG(3)));
      if (id < 0) die("semget");
      last = SEM;
      i += 3;
    } else if (!strcmp(cmd, "setval")) {
      union semun_arg a = {.val = (int)num(ARG(2))};
      if (semctl(id, (int)num(ARG(1)), SETVAL, a) < 0) die("SETVAL");
      i += 2;
    } else if (!strcmp(cmd, "semop")) {
      struct sembuf op = {(unsigned short)num(ARG(1)), (short)num(ARG(2)), IPC_NOWAIT};
      if (semop(id, &op, 1) < 0) die("semop");
      i += 2;
    } else if (!strcmp(cmd, "waitzero")) {
      spawn_semop(id, (int)num(ARG(1)), 0);
      i += 1;
    } else if (!strcmp(cmd, "waitdec")) {
      spawn_semop(id, (int)num(ARG(1)), -1);
      i += 1;
    } else if (!strcmp(cmd, "msg")) {
      id = msgget((key_t)num(ARG(1)), IPC_CREAT | IPC_EXCL | (int)num(ARG(2)));
      if (id < 0) die("msgget");
      last = MSG;
      i += 2;
    } else if (!strcmp(cmd, "send")) {
      size_t n = (size_t)num(ARG(2));
      struct {
        long type;
        char text[65536];
      }* m = calloc(1, sizeof *m);
      if (!m || n > sizeof m->text) die("send size");
      m->type = num(ARG(1));
      if (msgsnd(id, m, n, IPC_NOWAIT) < 0) die("msgsnd");
      free(m);
      i += 2;
    } else if (!strcmp(cmd, "recv")) {
      static struct {
        long type;
        char text[65536];
      } m;
      if (msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT | MSG_NOERROR) < 0) die("msgrcv");
    } else if (!strcmp(cmd, "qbytes")) {
      struct msqid_ds ds;
      if (msgctl(id, IPC_STAT, &ds) < 0) die("IPC_STAT");
      ds.msg_qbytes = (msglen_t)num(ARG(1));
      if (msgctl(id, IPC_SET, &ds) < 0) die("IPC_SET");
      i += 1;
    } else if (!strcmp(cmd, "sleep")) {
      struct timespec ts = {num(ARG(1)) / 1000, (num(ARG(1)) % 1000) * 1000000};
      nanosleep(&ts, NULL);
      i += 1;
    } else {
      fprintf(stderr, "sysv_fixture: unknown command '%s'\n", cmd);
      return 1;
    }
  }
  /* Give the blocked children time to enter semop before anyone looks at ncount/zcount. */
  if (nchildren) {
    struct timespec ts = {0, 200 * 1000000};
    nanosleep(&ts, NULL);
  }
  printf("ready\n");
  fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  for (int k = 0; k < nchildren; k++) {
    kill(children[k], SIGKILL);
    waitpid(children[k], NULL, 0);
  }
  return 0;
}
