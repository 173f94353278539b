/* Unit tests for lib/pipefile: the example pipelines load into exactly
 * the stages they describe; every bad file of tests/pipelines/ and many
 * small ones give their one "FILE:LINE:COL: message". */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipefile.h"
#include "unit.h"

static char top[] = "/tmp/test_pipefileXXXXXX";
static char tmp_yaml[128];
static const char *src = "."; /* the source tree */
static char err[1024];

/* Load path with sets; err emptied first. */
static int load(const char *path, char *const *sets, size_t nsets,
		struct pipefile **pf)
{
	err[0] = '\0';
	return pipefile_load(path, sets, nsets, pf, err, sizeof(err));
}

/* Load a file of the source tree (dir/name). */
static int load_src(const char *dir, const char *name, char *const *sets,
		    size_t nsets, struct pipefile **pf, char *path, size_t len)
{
	snprintf(path, len, "%s/%s/%s", src, dir, name);
	return load(path, sets, nsets, pf);
}

/* Write text as a YAML file and load it. */
static int load_text(const char *text, struct pipefile **pf)
{
	FILE *f = fopen(tmp_yaml, "w");

	fputs(text, f);
	fclose(f);
	return load(tmp_yaml, NULL, 0, pf);
}

/* The stage called name, or NULL. */
static const struct pf_stage *stage(const struct pipefile *pf,
				    const char *name)
{
	size_t i;

	for (i = 0; pf != NULL && i < pf->nstages; i++)
		if (strcmp(pf->stages[i].name, name) == 0)
			return &pf->stages[i];
	return NULL;
}

/* examples/pipelines/compress.yaml, as it is and with --set. */
static void test_compress(void)
{
	char *sets[] = {"dir=/data dir", "pattern=*.gz"};
	const struct pf_stage *s;
	struct pipefile *pf = NULL;
	char path[PATH_MAX];

	CHECK_INT(load_src("examples/pipelines", "compress.yaml", NULL, 0, &pf,
			   path, sizeof(path)),
		  0);
	CHECK_STR(err, "");
	CHECK(pf != NULL && pf->nstages == 4 && pf->ncounters == 0);
	if (pf == NULL || pf->nstages != 4)
		return;
	CHECK_STR(pf->stages[0].name, "find");
	CHECK_STR(pf->stages[1].name, "compress");
	CHECK_STR(pf->stages[2].name, "checksum");
	CHECK_STR(pf->stages[3].name, "index");
	s = &pf->stages[0];
	CHECK_STR(s->cmd, "find . -type f -name '*.log'");
	CHECK(s->ninputs == 0 && s->read_by_others && s->jobs == 0 &&
	      s->n == 0 && !s->has_order && s->executor == PF_LOCAL &&
	      s->workers == NULL && s->env == NULL && s->nafter == 0 &&
	      s->halt_text == NULL && s->halt.when == HALT_NEVER);
	s = &pf->stages[1];
	CHECK_STR(s->cmd, "gzip -kf {} && echo {}.gz");
	CHECK(s->ninputs == 1 && s->inputs[0].kind == PF_STAGE &&
	      s->inputs[0].stage == 0 && !s->inputs[0].linked &&
	      s->read_by_others);
	s = &pf->stages[2];
	CHECK(s->ninputs == 1 && s->inputs[0].kind == PF_STAGE &&
	      s->inputs[0].stage == 1 && s->read_by_others);
	s = &pf->stages[3];
	CHECK_STR(s->cmd, "printf '%s\\n' {} | sort -k2 > ./INDEX && "
			  "wc -l < ./INDEX");
	CHECK(s->n == 100000 && s->inputs[0].stage == 2 &&
	      !s->read_by_others);
	pipefile_free(pf);

	pf = NULL;
	CHECK_INT(load(path, sets, 2, &pf), 0);
	CHECK(pf != NULL);
	if (pf == NULL)
		return;
	CHECK_STR(pf->stages[0].cmd, "find /data dir -type f -name '*.gz'");
	CHECK_STR(pf->stages[3].cmd,
		  "printf '%s\\n' {} | sort -k2 > /data dir/INDEX && "
		  "wc -l < /data dir/INDEX");
	pipefile_free(pf);
}

/* fanout, wordcount (glob and after:) and workers. */
static void test_examples(void)
{
	char texts[PATH_MAX + 16], *sets[] = {texts, "out=/o", "top=3"};
	const struct pf_stage *s;
	struct pipefile *pf = NULL;
	char path[PATH_MAX], want[PATH_MAX + 32];

	CHECK_INT(load_src("examples/pipelines", "fanout.yaml", NULL, 0, &pf,
			   path, sizeof(path)),
		  0);
	CHECK(pf != NULL && pf->nstages == 3);
	s = stage(pf, "numbers");
	CHECK(s != NULL && strcmp(s->cmd, "seq 10") == 0 && s->read_by_others);
	s = stage(pf, "squares");
	CHECK(s != NULL && s->has_order && s->order == ORDER_IMAP &&
	      s->ninputs == 1 && s->inputs[0].kind == PF_STAGE &&
	      s->inputs[0].stage == 0 && !s->read_by_others);
	CHECK(s != NULL && strcmp(s->cmd, "echo \"square of {} is $(( {} * "
					  "{} ))\"") == 0);
	s = stage(pf, "cubes");
	CHECK(s != NULL && s->inputs[0].stage == 0 && s->order == ORDER_IMAP);
	pipefile_free(pf);

	snprintf(texts, sizeof(texts), "texts=%s/tests/pipelines", src);
	pf = NULL;
	CHECK_INT(load_src("examples/pipelines", "wordcount.yaml", sets, 3, &pf,
			   path, sizeof(path)),
		  0);
	CHECK(pf != NULL && pf->nstages == 3);
	s = stage(pf, "setup");
	CHECK(s != NULL && strcmp(s->cmd, "mkdir -p /o") == 0 &&
	      s->nafter == 0 && s->ninputs == 0);
	s = stage(pf, "map");
	CHECK(s != NULL && s->nafter == 1 && s->after[0] == 0 &&
	      s->ninputs == 1 && s->inputs[0].kind == PF_GLOB);
	if (s != NULL && s->ninputs == 1) {
		snprintf(want, sizeof(want), "%s/tests/pipelines/*", src);
		CHECK_STR(s->inputs[0].path, want);
	}
	/* the glob's matches, sorted */
	CHECK(s != NULL && s->inputs[0].nvalues == 27);
	if (s != NULL && s->inputs[0].nvalues == 27) {
		snprintf(want, sizeof(want),
			 "%s/tests/pipelines/after_spills.yaml", src);
		CHECK_STR(s->inputs[0].values[0], want);
		snprintf(want, sizeof(want),
			 "%s/tests/pipelines/yes_into_echo.yaml", src);
		CHECK_STR(s->inputs[0].values[26], want);
	}
	s = stage(pf, "reduce");
	CHECK(s != NULL && s->nafter == 1 && s->after[0] == 1 &&
	      strstr(s->cmd, "| head -n 3") != NULL &&
	      strncmp(s->cmd, "cat /o/*.counts | awk", 21) == 0);
	pipefile_free(pf);

	pf = NULL;
	CHECK_INT(load_src("examples/pipelines", "workers.yaml", NULL, 0, &pf,
			   path, sizeof(path)),
		  0);
	s = stage(pf, "tag");
	CHECK(s != NULL && s->cmd == NULL &&
	      strcmp(s->workers, "sed -u 's/^/n=/'") == 0 && s->jobs == 2 &&
	      s->framing == WPOOL_LINE && s->max_tasks == 0 &&
	      s->max_inflight == 0 && s->worker_init == NULL &&
	      s->read_by_others && s->inputs[0].stage == 0);
	s = stage(pf, "sum");
	CHECK(s != NULL && s->n == 10000 && s->inputs[0].stage == 1);
	CHECK(stage(pf, "numbers") != NULL &&
	      strcmp(stage(pf, "numbers")->cmd, "seq 1000") == 0);
	pipefile_free(pf);
}

/* Every file of tests/pipelines/ with its message. */
static void test_bad_files(void)
{
	static const char *const cases[][2] = {
		{"bad_executor.yaml",
		 "4:15: unknown executor 'sssh' (did you mean 'ssh'?)"},
		{"bad_framing.yaml", "4:14: unknown framing 'tlv'"},
		{"bad_hosts.yaml",
		 "5:12: hosts: expected a list of SSH logins ([N/]HOST)"},
		{"bad_order.yaml", "4:12: unknown order 'sorted'"},
		{"bad_timeout.yaml", "4:14: timeout: expected a duration (30, "
				     "2.5s, 1m30s) or a percentage (200%)"},
		{"bad_yaml.yaml", "5:1: not valid YAML: did not find expected "
				  "',' or ']' while parsing a flow sequence"},
		{"cmd_and_workers.yaml",
		 "4:5: stage 'a': cmd and workers exclude each other"},
		{"cycle.yaml", "2:3: stage 'a' depends on itself (a cycle "
			       "through input: or after:)"},
		{"empty.yaml", " empty pipeline file (expected stages:)"},
		{"framing_no_workers.yaml",
		 "4:5: stage 'a': framing needs workers:"},
		{"hosts_no_ssh.yaml",
		 "4:5: stage 'a': hosts needs executor: ssh"},
		{"missing_cmd.yaml", "3:5: stage 'a' has no cmd (or workers)"},
		{"no_stage.yaml", "4:12: unknown stage 'nosuch'"},
		{"pipe_key_no_pipe.yaml",
		 "5:5: stage 'a': recend needs pipe: true"},
		{"pipe_values.yaml", "3:5: stage 'a': pipe: true needs one "
				     "input, a stage or a file"},
		{"self_after.yaml", "2:3: stage 'a' depends on itself (a cycle "
				    "through input: or after:)"},
		{"slurm_key_ssh.yaml",
		 "6:5: stage 'a': slurm_cpus needs executor: slurm"},
		{"ssh_no_hosts.yaml", "4:5: stage 'a': executor: ssh needs "
				      "hosts: (a list of SSH logins)"},
		{"two_kinds.yaml", "4:12: input: a source has exactly one of "
				   "stage, values, file or glob"},
		{"unknown_key.yaml",
		 "4:5: unknown key 'inptu' (did you mean 'input'?)"},
		{"unknown_top.yaml",
		 "1:1: unknown key 'stage' (did you mean 'stages'?)"},
		{"unknown_var.yaml",
		 "5:10: cmd: unknown variable 'dri' (did you mean 'dir'?)"},
		{"workers_n.yaml", "5:5: stage 'a': n does not apply to a "
				   "workers: stage (each input is one record)"},
		{"workers_remote.yaml",
		 "4:5: stage 'a': workers run here: executor must be local"},
		{"wrong_type.yaml", "5:11: jobs: expected a whole number from "
				    "1 to 100000, got 'many'"},
	};
	char path[PATH_MAX], want[PATH_MAX + 256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pipefile *pf = (struct pipefile *)&pf;
		int rc = load_src("tests/pipelines", cases[i][0], NULL, 0, &pf,
				  path, sizeof(path));

		snprintf(want, sizeof(want), "%s:%s", path, cases[i][1]);
		CHECK(rc == -1 && pf == NULL);
		CHECK_STR(err, want);
	}
	/* a directory: said as such, not as a YAML read error */
	{
		struct pipefile *pf = (struct pipefile *)&pf;

		snprintf(want, sizeof(want), "%s: Is a directory", top);
		CHECK(load(top, NULL, 0, &pf) == -1 && pf == NULL);
		CHECK_STR(err, want);
	}
}

/* A bad file given as text: -1, no pipefile, and "FILE:where". */
static void check_bad(const char *text, const char *where)
{
	struct pipefile *pf = (struct pipefile *)&pf;
	char want[PATH_MAX + 256];
	int rc = load_text(text, &pf);

	snprintf(want, sizeof(want), "%s:%s", tmp_yaml, where);
	CHECK(rc == -1 && pf == NULL);
	CHECK_STR(err, want);
}

#define ST "stages:\n  a:\n    cmd: echo\n"

#define PS "stages:\n  a:\n    cmd: cat\n    input: {file: f}\n    pipe: true\n"

/* The pipe keys of a stage: each set, and each wrong value or mix named
 * at its place. */
static void test_pipe_keys(void)
{
	struct pipefile *pf = NULL;
	const struct pf_stage *st;

	CHECK_INT(load_text(PS "    regexp: true\n    recend: 'x+'\n"
			       "    remove_rec_sep: true\n    cat: true\n",
			    &pf),
		  0);
	st = pf != NULL ? &pf->stages[0] : NULL;
	CHECK(st != NULL && st->regexp && st->remove_sep && st->cat &&
	      !st->fifo && !st->round_robin);
	pipefile_free(pf);
	pf = NULL;
	CHECK_INT(load_text(PS "    round_robin: true\n    fifo: false\n", &pf),
		  0);
	CHECK(pf != NULL && pf->stages[0].round_robin && !pf->stages[0].fifo);
	pipefile_free(pf);
	/* block: as --block, GNU parallel's units */
	pf = NULL;
	CHECK_INT(load_text(PS "    block: 1.5k\n", &pf), 0);
	CHECK(pf != NULL && pf->stages[0].block == 1500);
	pipefile_free(pf);
	pf = NULL;
	CHECK_INT(load_text(PS "    block: 2Ki\n", &pf), 0);
	CHECK(pf != NULL && pf->stages[0].block == 2048);
	pipefile_free(pf);
	check_bad(PS "    block: 1KB\n",
		  "6:12: block: expected a size (such as 64K, 1M, 100k)");
	check_bad(PS "    regexp: yes\n",
		  "6:13: regexp: expected true or false");
	check_bad(PS "    remove_rec_sep: [1]\n",
		  "6:21: remove_rec_sep: expected true or false");
	check_bad(PS "    round_robin: 1\n",
		  "6:18: round_robin: expected true or false");
	check_bad(PS "    cat: on\n", "6:10: cat: expected true or false");
	check_bad(PS "    fifo: ''\n", "6:11: fifo: expected true or false");
	check_bad(PS "    round_robin: true\n    cat: true\n",
		  "6:5: stage 'a': round_robin does not go with cat (a job "
		  "reads its blocks from a pipe, once)");
	check_bad(PS "    retries: 1\n    round_robin: true\n",
		  "7:5: stage 'a': round_robin does not go with retries (a job "
		  "reads its blocks from a pipe, once)");
	check_bad(PS "    fifo: true\n    cat: true\n",
		  "7:5: stage 'a': cat and fifo: one or the other");
	check_bad(PS "    regexp: true\n    recstart: '['\n",
		  "7:15: stage 'a': --recstart: \"[\" is not a pattern: "
		  "missing terminating ] for character class");
	check_bad(ST "    input: {file: f}\n    round_robin: true\n",
		  "5:5: stage 'a': round_robin needs pipe: true");
}

/* Small bad files: types, ranges, forms, references, keys given twice. */
static void test_bad_text(void)
{
	check_bad(ST "    cmd: again\n", "4:5: stage 'a': cmd given twice");
	check_bad(ST "    env: {A: 1}\n    env: {B: 2}\n",
		  "5:5: stage 'a': env given twice");
	check_bad("vars: {x: 1}\nvars: {y: 2}\n" ST, "2:1: vars given twice");
	check_bad(ST "stages:\n  b:\n    cmd: x\n", "4:1: stages given twice");
	check_bad("counters: [a]\ncounters: [b]\n" ST,
		  "2:1: counters given twice");
	check_bad(ST "  a:\n    cmd: echo\n",
		  "4:3: stage 'a' is defined twice");
	check_bad(ST "    input: [1, {values: [2]}]\n",
		  "4:12: input: a list is either values or sources "
		  "({stage: ...}, {values: [...]}, ...), not both");
	check_bad(ST "    input: {values: [1], linked: true}\n",
		  "4:12: input: the first source cannot be linked");
	check_bad(ST "    input: {values: [1], linked: maybe}\n",
		  "4:34: linked: expected true or false");
	check_bad(ST "    input: {glob: /nonexistent/*.x}\n",
		  "4:19: glob '/nonexistent/*.x' matches no file");
	check_bad(ST "    input: {file: f, extra: 1}\n",
		  "4:22: unknown input key 'extra'");
	check_bad(ST "    input: {}\n", "4:12: input: a source has exactly "
				       "one of stage, values, file or glob");
	check_bad(ST "    input: [[1]]\n", "4:13: input: expected a string");
	check_bad(ST "    input: {values: 1}\n",
		  "4:21: values: expected a list");
	check_bad(ST "    env: {1A: x}\n", "4:11: env: '1A' is not a variable "
					"name");
	check_bad(ST "    env: [A]\n", "4:10: env: expected a mapping of "
				      "NAME: value");
	check_bad(ST "    after: [a2, c]\n  a2:\n    cmd: x\n",
		  "4:17: unknown stage 'c' (did you mean 'a'?)");
	check_bad(ST "    after: {x: 1}\n", "4:12: after: expected a stage "
				       "name");
	check_bad("stages:\n  a:\n    cmd: [echo]\n",
		  "3:10: cmd: expected a string");
	check_bad("stages: []\n", "1:9: stages: expected a mapping of stage "
				  "names to stages");
	check_bad("stages: {}\n", "1:9: stages: expected a mapping of stage "
				  "names to stages");
	check_bad("- a\n", "1:1: expected a mapping with stages:");
	check_bad("vars: {x: 1}\n", "1:1: no stages: in the pipeline file");
	check_bad("stages:\n  a: echo\n", "2:6: stage 'a': expected a mapping "
					  "with cmd:");
	check_bad("stages:\n  \"\":\n    cmd: echo\n",
		  "2:3: a stage name must be a string");
	check_bad("counters: 5\n" ST, "1:11: counters: expected a list of "
				      "names or a mapping of NAME: value");
	check_bad("counters: {a: x}\n" ST,
		  "1:15: counters: expected a whole number from "
		  "-4611686018427387904 to 4611686018427387904, got 'x'");
	check_bad("counters: [[a]]\n" ST, "1:12: counters: expected a name");
	check_bad("vars: [a]\n" ST, "1:7: vars: expected a mapping of NAME: "
				    "value");
	check_bad("vars: {a: [1]}\n" ST, "1:11: vars: a: expected a string or "
					 "number");
	check_bad("vars: {1a: 1}\n" ST, "1:8: vars: '1a' is not a variable "
					"name");
	check_bad("vars: {x: 1}\n" ST "    input: [\"{{zzz}}\"]\n",
		  "5:13: input: unknown variable 'zzz' (not in vars:)");
	check_bad(ST "    halt: later\n", "4:11: halt: expected now|soon,"
					 "fail|success|done=N|N% or never");
	check_bad(ST "    jobs: 0\n", "4:11: jobs: expected a whole number "
				     "from 1 to 100000, got '0'");
	check_bad(ST "    jobs: 100001\n", "4:11: jobs: expected a whole "
					  "number from 1 to 100000, got "
					  "'100001'");
	check_bad(ST "    jobs: [1]\n", "4:11: jobs: expected a whole number "
				       "from 1 to 100000, got a list or "
				       "mapping");
	check_bad(ST "    retries: -1\n", "4:14: retries: expected a whole "
					 "number from 0 to 1000000, got '-1'");
	check_bad(ST "    n: 0\n", "4:8: n: expected a whole number from 1 to "
				  "1000000000, got '0'");
	check_bad(ST "    order: [imap]\n",
		  "4:12: order: expected unordered, imap or map");
	check_bad(ST "    timeout: 0\n", "4:14: timeout: expected a duration "
					"(30, 2.5s, 1m30s) or a percentage "
					"(200%)");
	check_bad("stages:\n  a:\n    workers: cat\n    timeout: 50%\n",
		  "4:5: stage 'a': a timeout in percent does not apply to "
		  "workers");
	check_bad("stages:\n  a:\n    workers: cat\n    max_inflight: 0\n",
		  "4:19: max_inflight: expected a whole number from 1 to "
		  "65536, got '0'");
	check_bad("stages:\n  a:\n    workers: cat\n    max_tasks_per_worker: "
		  "0\n",
		  "4:27: max_tasks_per_worker: expected a whole number from "
		  "1 to 1000000000000, got '0'");
	check_bad(ST "    max_inflight: 2\n",
		  "4:5: stage 'a': max_inflight needs workers:");
	check_bad(ST "    executor: ssh\n    hosts: []\n",
		  "5:12: hosts: expected a list of SSH logins ([N/]HOST)");
	check_bad(ST "    executor: ssh\n    hosts: [[a]]\n",
		  "5:13: hosts: expected a list of SSH logins ([N/]HOST)");
	check_bad(ST "    executor: slurm\n    ssh: ssh -p 2\n",
		  "5:5: stage 'a': ssh needs executor: ssh");
	check_bad(ST "    slurm_alloc: -n2\n",
		  "4:5: stage 'a': slurm_alloc needs executor: slurm");
	check_bad(ST "    executor: slurm\n    slurm_cpus: 0\n",
		  "5:17: slurm_cpus: expected a whole number from 1 to 100000, "
		  "got '0'");
	check_bad(ST "    zzzzzzzz: 1\n", "4:5: unknown key 'zzzzzzzz'");
	check_bad(ST "    ordre: imap\n",
		  "4:5: unknown key 'ordre' (did you mean 'order'?)");
	check_bad("stagse:\n  a:\n    cmd: x\n",
		  "1:1: unknown key 'stagse' (did you mean 'stages'?)");
	check_bad(ST "    order: imapp\n",
		  "4:12: unknown order 'imapp' (did you mean 'imap'?)");
	/* a cycle through after: and input: of three stages */
	check_bad("stages:\n  a:\n    cmd: echo\n    input: b\n  b:\n    cmd: "
		  "echo\n    after: c\n  c:\n    cmd: echo\n    input: a\n",
		  "2:3: stage 'a' depends on itself (a cycle through input: or "
		  "after:)");
	check_bad("stages:\n  a:\n    cmd: x\n  b:\n    cmd: x\n    input: "
		  "[{stage: b}]\n",
		  "4:3: stage 'b' depends on itself (a cycle through input: or "
		  "after:)");
}

/* A brace before {{NAME}} is text: "{{{v}}}" is "{V1}" (the var was left
 * unreplaced: found by tests/fuzz/fuzz_pipefile). */
static void test_var_after_brace(void)
{
	struct pipefile *pf = NULL;

	CHECK_INT(load_text("vars: {v: V1}\nstages:\n  a:\n"
			    "    cmd: awk '{{{v}}}' {{{{v}} x{{{}}{{v}}\n",
			    &pf),
		  0);
	CHECK(pf != NULL && pf->nstages == 1 &&
	      strcmp(pf->stages[0].cmd, "awk '{V1}' {{V1 x{{{}}V1") == 0);
	if (pf != NULL)
		printf("# cmd: %s\n", pf->stages[0].cmd);
	pipefile_free(pf);
	/* an unknown one after a brace is refused like any other */
	CHECK_INT(load_text("vars: {v: V1}\nstages:\n  a:\n"
			    "    cmd: echo {{{w}}\n",
			    &pf),
		  -1);
	CHECK(strstr(err, "w") != NULL);
}

/* Every key of a stage, vars in each string, sources, counters. */
static void test_full(void)
{
	static const char text[] =
		"vars: {v: V1, n: 3}\n"
		"counters: {seen: 5, other: -2}\n"
		"stages:\n"
		"  first:\n"
		"    cmd: echo {{v}} {{ v }} {{}} {{v {{9x}}\n"
		"    input: [{stage: remote, linked: false}, {file: \"/f/{{n}}\", "
		"linked: true},\n"
		"            {values: []}, {values: [a, \"{{v}}\"]}]\n"
		"    jobs: 4\n"
		"    n: 2\n"
		"    order: map\n"
		"    timeout: 1m30s\n"
		"    retries: 0\n"
		"    env: {GZIP: -n, B: \"x {{v}}\"}\n"
		"    halt: now,fail=10%\n"
		"    on_success: echo ok {{n}}\n"
		"    on_error: echo bad {}\n"
		"  remote:\n"
		"    cmd: hostname\n"
		"    executor: ssh\n"
		"    hosts: [2/web1, \"{{v}}\"]\n"
		"    ssh: ssh -p 2222\n"
		"    timeout: 200%\n"
		"    retries: 3\n"
		"  batch:\n"
		"    cmd: work\n"
		"    executor: slurm\n"
		"    slurm_cpus: 2\n"
		"    slurm_alloc: -n4 -t {{n}}\n"
		"    after: [remote, first]\n"
		"  model:\n"
		"    workers: serve --v {{v}}\n"
		"    worker_init: setup\n"
		"    max_tasks_per_worker: 1000000000000\n"
		"    framing: len\n"
		"    max_inflight: 65536\n"
		"    input: batch\n"
		"    after: first\n"
		"    halt: soon,success=2\n";
	const struct pf_stage *s;
	struct pipefile *pf = NULL;

	CHECK_INT(load_text(text, &pf), 0);
	CHECK_STR(err, "");
	CHECK(pf != NULL && pf->nstages == 4);
	if (pf == NULL || pf->nstages != 4)
		return;
	CHECK(pf->ncounters == 2 && strcmp(pf->counters[0], "seen=5") == 0 &&
	      strcmp(pf->counters[1], "other=-2") == 0 &&
	      pf->counters[2] == NULL);
	s = &pf->stages[0];
	CHECK_STR(s->cmd, "echo V1 {{ v }} {{}} {{v {{9x}}");
	CHECK_INT(s->ninputs, 4);
	if (s->ninputs == 4) {
		CHECK(s->inputs[0].kind == PF_STAGE &&
		      s->inputs[0].stage == 1 && !s->inputs[0].linked);
		CHECK(s->inputs[1].kind == PF_FILE &&
		      strcmp(s->inputs[1].path, "/f/3") == 0 &&
		      s->inputs[1].linked);
		CHECK(s->inputs[2].kind == PF_VALUES &&
		      s->inputs[2].nvalues == 0 && !s->inputs[2].linked);
		CHECK(s->inputs[3].kind == PF_VALUES &&
		      s->inputs[3].nvalues == 2 &&
		      strcmp(s->inputs[3].values[0], "a") == 0 &&
		      strcmp(s->inputs[3].values[1], "V1") == 0 &&
		      !s->inputs[3].linked);
	}
	CHECK(s->jobs == 4 && s->n == 2 && s->has_order &&
	      s->order == ORDER_MAP && s->timeout_ms == 90000 &&
	      s->timeout_pct == 0 && s->retries == 0);
	CHECK(s->env != NULL && strcmp(s->env[0], "GZIP=-n") == 0 &&
	      strcmp(s->env[1], "B=x V1") == 0 && s->env[2] == NULL);
	CHECK(s->halt.when == HALT_NOW && s->halt.what == HALT_FAIL &&
	      s->halt.pct == 10 && s->halt.count == 0 &&
	      strcmp(s->halt_text, "now,fail=10%") == 0);
	CHECK_STR(s->on_success, "echo ok 3");
	CHECK_STR(s->on_error, "echo bad {}");
	CHECK(s->executor == PF_LOCAL && s->hosts == NULL &&
	      !s->read_by_others);

	s = &pf->stages[1];
	CHECK(s->executor == PF_SSH && s->nhosts == 2 &&
	      strcmp(s->hosts[0], "2/web1") == 0 &&
	      strcmp(s->hosts[1], "V1") == 0 && s->hosts[2] == NULL);
	CHECK_STR(s->ssh, "ssh -p 2222");
	CHECK(s->timeout_ms == 0 && s->timeout_pct == 200 && s->retries == 3);
	CHECK(s->read_by_others && !s->has_order &&
	      s->order == ORDER_UNORDERED);

	s = &pf->stages[2];
	CHECK(s->executor == PF_SLURM && s->slurm_cpus == 2 &&
	      strcmp(s->slurm_alloc, "-n4 -t 3") == 0);
	CHECK(s->nafter == 2 && s->after[0] == 1 && s->after[1] == 0);
	CHECK(s->read_by_others);

	s = &pf->stages[3];
	CHECK(s->cmd == NULL && strcmp(s->workers, "serve --v V1") == 0 &&
	      strcmp(s->worker_init, "setup") == 0 &&
	      s->max_tasks == 1000000000000ULL && s->framing == WPOOL_LEN &&
	      s->max_inflight == 65536);
	CHECK(s->ninputs == 1 && s->inputs[0].kind == PF_STAGE &&
	      s->inputs[0].stage == 2 && s->nafter == 1 && s->after[0] == 0);
	CHECK(s->halt.when == HALT_SOON && s->halt.what == HALT_SUCCESS &&
	      s->halt.count == 2);
	pipefile_free(pf);

	/* counters as a list; hosts as one string; a stage name input */
	pf = NULL;
	CHECK_INT(load_text("counters: [a, b]\nstages:\n  s:\n    cmd: x\n"
			    "    executor: ssh\n    hosts: 2/w1,w2\n",
			    &pf),
		  0);
	CHECK(pf != NULL && pf->ncounters == 2 &&
	      strcmp(pf->counters[0], "a=0") == 0 &&
	      strcmp(pf->counters[1], "b=0") == 0);
	CHECK(pf != NULL && pf->stages[0].nhosts == 1 &&
	      strcmp(pf->stages[0].hosts[0], "2/w1,w2") == 0);
	pipefile_free(pf);
}

/* --set: only declared names, NAME=VALUE; the file is not opened for
 * nothing; missing file; a short error buffer. */
static void test_sets_and_files(void)
{
	char *unknown[] = {"nope=1"};
	char *noeq[] = {"novalue"};
	char *twice[] = {"x=1", "x=2=3"};
	struct pipefile *pf = (struct pipefile *)&pf;
	char want[PATH_MAX + 128], small[16];
	FILE *f;

	f = fopen(tmp_yaml, "w");
	fputs("vars: {x: 0}\nstages:\n  a:\n    cmd: echo {{x}}\n", f);
	fclose(f);
	CHECK_INT(load(tmp_yaml, unknown, 1, &pf), -1);
	snprintf(want, sizeof(want), "%s: --set nope: no such variable in "
				     "vars:", tmp_yaml);
	CHECK_STR(err, want);
	CHECK(pf == NULL);
	CHECK_INT(load(tmp_yaml, noeq, 1, &pf), -1);
	snprintf(want, sizeof(want), "%s: --set novalue: expected NAME=VALUE",
		 tmp_yaml);
	CHECK_STR(err, want);
	CHECK_INT(load(tmp_yaml, twice, 2, &pf), 0); /* the last one wins */
	CHECK(pf != NULL && strcmp(pf->stages[0].cmd, "echo 2=3") == 0);
	pipefile_free(pf);

	snprintf(want, sizeof(want), "%s/none.yaml", top);
	CHECK_INT(load(want, NULL, 0, &pf), -1);
	CHECK(pf == NULL);
	strcat(want, ": No such file or directory");
	CHECK_STR(err, want);

	/* the message is cut to the buffer, NUL-terminated */
	memset(small, 'Z', sizeof(small));
	CHECK_INT(pipefile_load(tmp_yaml, unknown, 1, &pf, small,
				sizeof(small)),
		  -1);
	CHECK(memchr(small, '\0', sizeof(small)) != NULL &&
	      strlen(small) == sizeof(small) - 1);
}

/* YAML merge keys: <<: *alias and <<: [*a, *b] give a mapping the keys it
 * lacks (its own win, then the first alias named); x- top-level keys hold
 * anchors; a bad merge is named at its place. */
static void test_merge_keys(void)
{
	struct pipefile *pf = NULL;
	const struct pf_stage *st;
	char big[64 * 1024], *w = big;
	int i;

	CHECK_INT(load_text("x-d: &d {jobs: 3, order: imap, env: {A: 1}}\n"
			    "x-e: &e {jobs: 4, retries: 2, cmd: no}\n"
			    "x-f: &f {<<: *e, timeout: 5}\n"
			    "stages:\n"
			    "  a:\n    <<: *d\n    jobs: 5\n    cmd: echo\n"
			    "  b:\n    <<: [*d, *e]\n    cmd: echo b\n"
			    "  c:\n    cmd: echo c\n    <<: *f\n",
			    &pf), 0);
	st = stage(pf, "a");
	CHECK(st != NULL && st->jobs == 5 && st->order == ORDER_IMAP &&
	      st->env != NULL && strcmp(st->env[0], "A=1") == 0 &&
	      st->env[1] == NULL && st->retries == 0);
	st = stage(pf, "b");
	CHECK(st != NULL && st->jobs == 3 && st->retries == 2 &&
	      strcmp(st->cmd, "echo b") == 0);
	st = stage(pf, "c");
	CHECK(st != NULL && st->jobs == 4 && st->retries == 2 &&
	      st->timeout_ms == 5000 && strcmp(st->cmd, "echo c") == 0);
	pipefile_free(pf);
	check_bad("stages:\n  a:\n    <<: foo\n    cmd: echo\n",
		  "3:9: <<: expected a mapping (or an alias of one), or a "
		  "list of them");
	check_bad("stages:\n  a:\n    <<: [{jobs: 1}, 2]\n    cmd: echo\n",
		  "3:21: <<: expected a mapping (or an alias of one), or a "
		  "list of them");
	check_bad("x-d: &d {jobs: 1}\nstages:\n  a:\n    <<: *d\n"
		  "    <<: *d\n    cmd: echo\n",
		  "5:5: << given twice");
	check_bad("x-d: &d {jobs: nope}\nstages:\n  a:\n    <<: *d\n"
		  "    cmd: echo\n",
		  "1:16: jobs: expected a whole number from 1 to 100000, got "
		  "'nope'");
	check_bad(ST "    '<<': {jobs: 1}\n",
		  "4:5: unknown key '<<' (did you mean 'n'?)");
	check_bad("y-d: 1\n" ST, "1:1: unknown key 'y-d'");
	/* 3000 keys merged 20 times: too many keys compared */
	w += sprintf(w, "x-a: &a {");
	for (i = 0; i < 3000; i++)
		w += sprintf(w, "%sk%d: v", i ? ", " : "", i);
	w += sprintf(w, "}\nx-b:\n");
	for (i = 0; i < 20; i++)
		w += sprintf(w, "  - {<<: *a}\n");
	sprintf(w, ST);
	check_bad(big, "1:6: <<: the merge keys expand the file too much "
		  "(more than 1000000 pairs, or 50000000 keys compared)");
}

int main(void)
{
	const char *s = getenv("MPRUN_SRCDIR");

	if (s != NULL && *s != '\0')
		src = s;
	if (mkdtemp(top) == NULL)
		return 99;
	snprintf(tmp_yaml, sizeof(tmp_yaml), "%s/p.yaml", top);
	test_compress();
	test_examples();
	test_bad_files();
	test_bad_text();
	test_pipe_keys();
	test_full();
	test_var_after_brace();
	test_sets_and_files();
	test_merge_keys();
	unlink(tmp_yaml);
	rmdir(top);
	return UNIT_DONE();
}
