/* libFuzzer target for the pipeline file loader, lib/pipefile (YAML read
 * with libyaml, checked and turned into stages).
 *
 * Input: CTRL YAML. CTRL bit 0 adds the override --set count=7, bit 1
 * --set dir=/x. The YAML is written to a file and loaded (a glob: source is
 * expanded for real, in the current directory or where its path says: a
 * slow one is left to libFuzzer's -timeout).
 *
 * Oracles (abort() on a violation; hangs and memory are libFuzzer's
 * -timeout and -rss_limit_mb: an alias bomb shows as out-of-memory):
 *  L1 a failure has a message that names the file ("FILE:LINE:COL: ..."
 *     or "FILE: ..."), and sets the output to NULL;
 *  L2 a success has at least one stage; each stage has a name, unique, and
 *     exactly one of cmd and workers; its after: and stage inputs name
 *     earlier or other stages by index < nstages, never itself (the loader
 *     refuses cycles); a list source's values are non-NULL; env entries
 *     are NAME=VALUE; counters are NAME=VALUE;
 *  L3 no string of the result holds "{{" that named a declared var (vars
 *     are substituted) -- checked loosely: a successful load never leaves
 *     "{{count}}" when --set count=7 was given. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pipefile.h"
#define FUZZ_WANT_DIR /* a private directory for the input file */
#include "fuzz.h"

static void check_str(const char *s, int count_set, const char *what)
{
	if (s == NULL)
		return;
	if (count_set)
		FUZZ_CHECK(strstr(s, "{{count}}") == NULL,
			   "%s keeps {{count}} with --set count=7: \"%s\"",
			   what, s);
}

/* L2, L3 */
static void check_pipefile(const struct pipefile *pf, int count_set)
{
	size_t i, j, k;

	FUZZ_CHECK(pf->nstages >= 1, "no stage");
	for (i = 0; i < pf->nstages; i++) {
		const struct pf_stage *st = &pf->stages[i];

		FUZZ_CHECK(st->name != NULL, "stage %zu has no name", i);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(pf->stages[j].name, st->name) != 0,
				   "two stages named \"%s\"", st->name);
		FUZZ_CHECK((st->cmd != NULL) != (st->workers != NULL),
			   "stage %s: cmd %p, workers %p", st->name,
			   (void *)st->cmd, (void *)st->workers);
		check_str(st->cmd, count_set, "cmd");
		check_str(st->workers, count_set, "workers");
		for (j = 0; j < st->nafter; j++)
			FUZZ_CHECK(st->after[j] < pf->nstages &&
					   st->after[j] != i,
				   "stage %s: after index %zu", st->name,
				   st->after[j]);
		for (j = 0; j < st->ninputs; j++) {
			const struct pf_source *s = &st->inputs[j];

			if (s->kind == PF_STAGE)
				FUZZ_CHECK(s->stage < pf->nstages &&
						   s->stage != i,
					   "stage %s: input stage %zu",
					   st->name, s->stage);
			if (s->kind == PF_FILE || s->kind == PF_GLOB)
				FUZZ_CHECK(s->path != NULL, "stage %s: a "
					   "file source with no path",
					   st->name);
			if (s->kind == PF_VALUES || s->kind == PF_GLOB)
				for (k = 0; k < s->nvalues; k++)
					FUZZ_CHECK(s->values[k] != NULL,
						   "stage %s: value %zu NULL",
						   st->name, k);
		}
		for (k = 0; st->env != NULL && st->env[k] != NULL; k++)
			FUZZ_CHECK(strchr(st->env[k], '=') != NULL,
				   "stage %s: env \"%s\"", st->name,
				   st->env[k]);
		for (k = 0; k < st->nhosts; k++)
			FUZZ_CHECK(st->hosts[k] != NULL, "stage %s: host %zu",
				   st->name, k);
	}
	for (k = 0; k < pf->ncounters; k++)
		FUZZ_CHECK(pf->counters[k] != NULL &&
				   strchr(pf->counters[k], '=') != NULL,
			   "counter %zu", k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *sets[2], err[1024];
	size_t nsets = 0, pl;
	struct pipefile *pf = NULL;
	const char *path;

	if (size == 0)
		return 0;
	if (data[0] & 1)
		sets[nsets++] = "count=7";
	if (data[0] & 2)
		sets[nsets++] = "dir=/x";
	path = fuzz_write_file(data + 1, size - 1);
	if (path == NULL)
		return 0;
	err[0] = '\0';
	pf = (struct pipefile *)&nsets; /* not NULL: it must be set */
	if (pipefile_load(path, sets, nsets, &pf, err, sizeof(err)) == -1) {
		pl = strlen(path);
		FUZZ_CHECK(pf == NULL, "a failed load left its output set");
		FUZZ_CHECK(strncmp(err, path, pl) == 0 && err[pl] == ':' &&
				   err[pl + 1] != '\0',
			   "a failed load says \"%s\"", err);
		return 0;
	}
	check_pipefile(pf, data[0] & 1);
	pipefile_free(pf);
	return 0;
}
