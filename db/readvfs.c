/*
 * readvfs — the file layer of the DNS workers' read-only connections: SQLite's own ("unix")
 * with one difference. At the start of every read transaction after a commit by another
 * connection, SQLite unmaps the whole database file (pagerBeginReadTransaction), in case
 * another process truncated it and grew it back. Every page a worker then touches faults in
 * again: with a registration every 10 ms and a million names, that is most of a worker's time.
 *
 * On Linux a shared file mapping stays coherent with the file: pages a truncation removed are
 * unmapped by the kernel and fault in anew. The one danger is touching the mapping past the
 * end of a file that shrank, and in WAL mode SQLite never reads a page past its snapshot's
 * end, which the file holds (pages not yet written back are read from the WAL). So keeping
 * the mapping is safe; this layer still lets the unmap through, as a margin, when the file is
 * smaller than at the last unmap let through, and when it has grown by more than a slack
 * since (pages past the mapping are read with pread: correct, but slower, so the mapping is
 * then made again). Otherwise the mapping, and its page tables, stay. Every other call goes
 * straight to SQLite's own layer.
 */
#include "db/store_int.h"

#include <pthread.h>
#include <string.h>

#define READVFS_NAME "lana-read"

struct rfile {
    sqlite3_file base;
    sqlite3_int64 mapped; /* file size when an unmap was last let through (-1: never) */
    sqlite3_file *real;   /* SQLite's own file object, allocated right after this one */
};

static sqlite3_vfs *base_vfs;
static _Atomic unsigned long unmaps; /* let through, for tests */

static sqlite3_file *real(sqlite3_file *f)
{
    return ((struct rfile *)(void *)f)->real;
}

static int r_close(sqlite3_file *f)
{
    return real(f)->pMethods->xClose(real(f));
}
static int r_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    return real(f)->pMethods->xRead(real(f), buf, n, off);
}
static int r_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    return real(f)->pMethods->xWrite(real(f), buf, n, off);
}
static int r_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return real(f)->pMethods->xTruncate(real(f), size);
}
static int r_sync(sqlite3_file *f, int flags)
{
    return real(f)->pMethods->xSync(real(f), flags);
}
static int r_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return real(f)->pMethods->xFileSize(real(f), size);
}
static int r_lock(sqlite3_file *f, int lock)
{
    return real(f)->pMethods->xLock(real(f), lock);
}
static int r_unlock(sqlite3_file *f, int lock)
{
    return real(f)->pMethods->xUnlock(real(f), lock);
}
static int r_check_reserved(sqlite3_file *f, int *out)
{
    return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
static int r_file_control(sqlite3_file *f, int op, void *arg)
{
    return real(f)->pMethods->xFileControl(real(f), op, arg);
}
static int r_sector_size(sqlite3_file *f)
{
    return real(f)->pMethods->xSectorSize(real(f));
}
static int r_device(sqlite3_file *f)
{
    return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
static int r_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return real(f)->pMethods->xShmMap(real(f), pg, pgsz, extend, pp);
}
static int r_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
static void r_shm_barrier(sqlite3_file *f)
{
    real(f)->pMethods->xShmBarrier(real(f));
}
static int r_shm_unmap(sqlite3_file *f, int del)
{
    return real(f)->pMethods->xShmUnmap(real(f), del);
}
static int r_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return real(f)->pMethods->xFetch(real(f), off, n, pp);
}

/* The growth past the mapping tolerated before it is remade: 1 MiB, or 1/32 of the file. */
static sqlite3_int64 slack(sqlite3_int64 mapped)
{
    return mapped / 32 > (1 << 20) ? mapped / 32 : (1 << 20);
}

static int r_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    struct rfile *rf = (struct rfile *)(void *)f;
    if (p == NULL) { /* "unmap everything": see the top of the file */
        sqlite3_int64 size;
        if (rf->real->pMethods->xFileSize(rf->real, &size) != SQLITE_OK)
            size = -1;
        if (rf->mapped >= 0 && size >= rf->mapped && size - rf->mapped <= slack(rf->mapped))
            return SQLITE_OK;
        rf->mapped = size; /* the next fetch maps the file as it is then */
        unmaps++;
    }
    return rf->real->pMethods->xUnfetch(rf->real, off, p);
}

static const sqlite3_io_methods r_methods = {
    .iVersion = 3,
    .xClose = r_close,
    .xRead = r_read,
    .xWrite = r_write,
    .xTruncate = r_truncate,
    .xSync = r_sync,
    .xFileSize = r_file_size,
    .xLock = r_lock,
    .xUnlock = r_unlock,
    .xCheckReservedLock = r_check_reserved,
    .xFileControl = r_file_control,
    .xSectorSize = r_sector_size,
    .xDeviceCharacteristics = r_device,
    .xShmMap = r_shm_map,
    .xShmLock = r_shm_lock,
    .xShmBarrier = r_shm_barrier,
    .xShmUnmap = r_shm_unmap,
    .xFetch = r_fetch,
    .xUnfetch = r_unfetch,
};

static int r_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
                  int *out_flags)
{
    (void)vfs;
    struct rfile *rf = (struct rfile *)(void *)f;
    rf->real = (sqlite3_file *)(void *)(rf + 1);
    rf->mapped = -1;
    int rc = base_vfs->xOpen(base_vfs, name, rf->real, flags, out_flags);
    if (rf->real->pMethods == NULL) {
        f->pMethods = NULL;
        return rc;
    }
    if (rf->real->pMethods->iVersion < 3) { /* no mapping to keep: never SQLite's own */
        rf->real->pMethods->xClose(rf->real);
        f->pMethods = NULL;
        return SQLITE_CANTOPEN;
    }
    /* every file the connection opens (the WAL too) goes through this layer; only the
     * database file is ever mapped */
    f->pMethods = &r_methods;
    return rc;
}

static int r_delete(sqlite3_vfs *v, const char *name, int sync)
{
    (void)v;
    return base_vfs->xDelete(base_vfs, name, sync);
}
static int r_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    (void)v;
    return base_vfs->xAccess(base_vfs, name, flags, out);
}
static int r_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    return base_vfs->xFullPathname(base_vfs, name, n, out);
}
static void *r_dlopen(sqlite3_vfs *v, const char *name)
{
    (void)v;
    return base_vfs->xDlOpen(base_vfs, name);
}
static void r_dlerror(sqlite3_vfs *v, int n, char *msg)
{
    (void)v;
    base_vfs->xDlError(base_vfs, n, msg);
}
static void (*r_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    (void)v;
    return base_vfs->xDlSym(base_vfs, h, sym);
}
static void r_dlclose(sqlite3_vfs *v, void *h)
{
    (void)v;
    base_vfs->xDlClose(base_vfs, h);
}
static int r_randomness(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return base_vfs->xRandomness(base_vfs, n, out);
}
static int r_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return base_vfs->xSleep(base_vfs, us);
}
static int r_current_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return base_vfs->xCurrentTime(base_vfs, out);
}
static int r_last_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return base_vfs->xGetLastError(base_vfs, n, out);
}
static int r_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

static sqlite3_vfs r_vfs = {
    .iVersion = 2,
    .mxPathname = 0, /* set from the base at registration */
    .zName = READVFS_NAME,
    .xOpen = r_open,
    .xDelete = r_delete,
    .xAccess = r_access,
    .xFullPathname = r_full_pathname,
    .xDlOpen = r_dlopen,
    .xDlError = r_dlerror,
    .xDlSym = r_dlsym,
    .xDlClose = r_dlclose,
    .xRandomness = r_randomness,
    .xSleep = r_sleep,
    .xCurrentTime = r_current_time,
    .xGetLastError = r_last_error,
    .xCurrentTimeInt64 = r_current_time64,
};

static bool registered;

static void register_once(void)
{
    base_vfs = sqlite3_vfs_find("unix");
    if (base_vfs == NULL || base_vfs->iVersion < 2)
        return;
    r_vfs.szOsFile = (int)sizeof(struct rfile) + base_vfs->szOsFile;
    r_vfs.mxPathname = base_vfs->mxPathname;
    registered = sqlite3_vfs_register(&r_vfs, 0) == SQLITE_OK;
}

unsigned long store__read_vfs_unmaps(void)
{
    return unmaps;
}

const char *store__read_vfs(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    store__init_once();
    pthread_once(&once, register_once);
    return registered ? READVFS_NAME : NULL;
}
