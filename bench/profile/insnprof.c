/*
 * insnprof: a TCG plugin that counts the guest instructions executed in
 * each translation block, for bench/profile/symbolize.py to add up per
 * function.
 *
 * Every instruction adds one to its block's per-vCPU counter (inline, so
 * a block left half way, by an exception or an interrupt, counts only what
 * ran).  Blocks are told apart by start address and length: a block that
 * is translated again (TB flush, self-modifying code) adds to the same
 * entry.  At exit, out=FILE gets one line per block that ran,
 * "ADDRESS INSNS_IN_BLOCK INSNS_EXECUTED" (hexadecimal, then decimal),
 * and QEMU's plugin log gets "total insns: N" like tests/tcg/plugins/
 * libinsn.so, so the benchmarks take either.
 *
 * Build: cc -shared -fPIC -O2 -I QEMU_SRC/include/qemu
 *        $(pkg-config --cflags glib-2.0) insnprof.c -o libinsnprof.so
 * Use:   -plugin libinsnprof.so,out=FILE
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct block {
    uint64_t vaddr;
    size_t n_insns;
    struct qemu_plugin_scoreboard *executed; /* u64 per vCPU */
};

static GHashTable *blocks; /* struct block, keyed by itself */
static GMutex blocks_lock;
static char *out_path;

static guint block_hash(gconstpointer p)
{
    const struct block *b = p;

    return g_int64_hash(&b->vaddr) ^ (guint)b->n_insns;
}

static gboolean block_equal(gconstpointer p, gconstpointer q)
{
    const struct block *a = p, *b = q;

    return a->vaddr == b->vaddr && a->n_insns == b->n_insns;
}

static void block_free(gpointer p)
{
    struct block *b = p;

    qemu_plugin_scoreboard_free(b->executed);
    g_free(b);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    struct block key = {
        .vaddr = qemu_plugin_tb_vaddr(tb),
        .n_insns = qemu_plugin_tb_n_insns(tb),
    };
    qemu_plugin_u64 counter;
    struct block *b;
    size_t i;

    g_mutex_lock(&blocks_lock);
    b = g_hash_table_lookup(blocks, &key);
    if (!b) {
        b = g_new0(struct block, 1);
        *b = key;
        b->executed = qemu_plugin_scoreboard_new(sizeof(uint64_t));
        g_hash_table_add(blocks, b);
    }
    g_mutex_unlock(&blocks_lock);

    counter = qemu_plugin_scoreboard_u64(b->executed);
    for (i = 0; i < key.n_insns; i++) {
        qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
            qemu_plugin_tb_get_insn(tb, i), QEMU_PLUGIN_INLINE_ADD_U64,
            counter, 1);
    }
}

static void at_exit(qemu_plugin_id_t id, void *data)
{
    GHashTableIter it;
    uint64_t total = 0;
    gpointer p;
    char line[64];
    FILE *f = NULL;

    if (out_path) {
        f = fopen(out_path, "w");
        if (!f) {
            qemu_plugin_outs("insnprof: cannot write the profile\n");
        }
    }
    g_hash_table_iter_init(&it, blocks);
    while (g_hash_table_iter_next(&it, &p, NULL)) {
        struct block *b = p;
        uint64_t n =
            qemu_plugin_u64_sum(qemu_plugin_scoreboard_u64(b->executed));

        if (!n) {
            continue;
        }
        total += n;
        if (f) {
            fprintf(f, "%" PRIx64 " %zu %" PRIu64 "\n", b->vaddr,
                    b->n_insns, n);
        }
    }
    if (f && fclose(f)) {
        qemu_plugin_outs("insnprof: the profile was not written whole\n");
    }
    snprintf(line, sizeof(line), "total insns: %" PRIu64 "\n", total);
    qemu_plugin_outs(line);
    g_hash_table_destroy(blocks);
    g_free(out_path);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info,
                                           int argc, char **argv)
{
    int i;

    for (i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "out=", 4) && argv[i][4]) {
            g_free(out_path);
            out_path = g_strdup(argv[i] + 4);
        } else {
            fprintf(stderr, "insnprof: unknown option '%s'\n", argv[i]);
            return -1;
        }
    }
    blocks = g_hash_table_new_full(block_hash, block_equal, block_free, NULL);
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
