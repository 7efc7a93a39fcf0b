/*
 * A QEMU TCG plugin that counts executed guest instructions and writes the total to a file when
 * QEMU exits (isa-debug-exit, SIGTERM, quit). Built by the scripts beside it with the host gcc:
 * Debian's QEMU loads plugins (-plugin) but ships neither its example plugins nor the plugin
 * header, so the few entry points used here are declared below from the plugin API of QEMU 7.x
 * (API version 1; QEMU accepts plugins whose qemu_plugin_version is within its supported range).
 *
 *   qemu-system-i386 -plugin ./qemu-insn-count.so,out=FILE[,count=off][,mark=0xADDR] ...
 *
 * Counting is per instruction (an inline add before each one executes), so a REP string
 * instruction counts once per iteration, as QEMU re-executes it for each. With mark=ADDR the
 * first execution of the instruction at that guest-virtual address records the count so far and
 * the host's wall clock (CLOCK_REALTIME, so a script can subtract its own start time); up to 4
 * marks, numbered 0.. in the order given. count=off keeps only the marks, for timing runs without
 * the counting overhead. The file gets "insns N", "exit_epoch SECONDS" (when QEMU exits), and for
 * each mark reached "markK_insns N" and "markK_epoch SECONDS".
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb)(qemu_plugin_id_t id, void *userdata);
typedef void (*vcpu_udata_cb)(unsigned int vcpu_index, void *userdata);
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, vcpu_udata_cb cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

EXPORT int qemu_plugin_version = 1;

static uint64_t executed;
static char out_path[4096];
static int counting = 1;
#define MAX_MARKS 4
static int marks;
static struct mark {
    uint64_t addr;
    int reached;
    uint64_t insns;
    struct timespec time;
} mark[MAX_MARKS];

static void on_mark(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    struct mark *m = userdata;
    if (m->reached)
        return;
    clock_gettime(CLOCK_REALTIME, &m->time);
    m->insns = executed;
    m->reached = 1;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        for (int k = 0; k < marks; k++)
            if (!mark[k].reached && pc == mark[k].addr)
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, &mark[k]);
        if (counting)
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &executed, 1);
    }
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    FILE *f = out_path[0] ? fopen(out_path, "w") : stderr;
    if (!f)
        return;
    if (counting)
        fprintf(f, "insns %llu\n", (unsigned long long)executed);
    fprintf(f, "exit_epoch %lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);
    for (int k = 0; k < marks; k++) {
        if (!mark[k].reached)
            continue;
        if (counting)
            fprintf(f, "mark%d_insns %llu\n", k, (unsigned long long)mark[k].insns);
        fprintf(f, "mark%d_epoch %lld.%09ld\n", k, (long long)mark[k].time.tv_sec, mark[k].time.tv_nsec);
    }
    if (f != stderr)
        fclose(f);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            strncpy(out_path, argv[i] + 4, sizeof out_path - 1);
        } else if (strcmp(argv[i], "count=off") == 0) {
            counting = 0;
        } else if (strncmp(argv[i], "mark=", 5) == 0 && marks < MAX_MARKS) {
            mark[marks++].addr = strtoull(argv[i] + 5, NULL, 0);
        } else {
            fprintf(stderr, "qemu-insn-count: unknown argument '%s' (use out=FILE, count=off, mark=ADDR)\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}
