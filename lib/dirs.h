/* dirs: directories mprun makes (the results directory, --workdir). */
#ifndef MPRUN_DIRS_H
#define MPRUN_DIRS_H

/* mkdir -p path (mode 0777 less the umask): 0, or -1/errno (ENOTDIR when
 * a file is in the way, ENAMETOOLONG). */
int dirs_make(const char *path);

#endif
