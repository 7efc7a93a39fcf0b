/*
 * Reference vectors for the x87 model, taken from the host's own x87 unit.
 *
 * Rerun (x86-64 Linux, any gcc; no -m32 needed: inline asm drives the x87 directly):
 *   gcc -O1 -o /tmp/fpugen runtime/src/test/resources/fpu/gen.c
 *   /tmp/fpugen | gzip -9n > runtime/src/test/resources/fpu/vectors.txt.gz
 *
 * Each case: FNINIT, FLDCW cw, FLD b (m80), FLD a (m80) so ST0=a, ST1=b, one instruction,
 * then FNSAVE (non-waiting, so unmasked exceptions are recorded without a #MF).
 * One line per case:
 *   op cw a b r0 r1 sw
 * a, b: 20 hex digits (sign+exponent word, then significand) or, for loads from memory, the
 * memory operand in hex (little-endian value); r0/r1: ST0/ST1 after the instruction (20 hex
 * digits), or for stores to memory r0 is the memory operand (pre-filled with 0xA5 bytes);
 * sw: the status word FNSAVE saw (TOP included). "-" marks an unused field.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

typedef struct { unsigned char b[10]; } t10;
typedef struct { unsigned char b[108]; } sv_t;

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    return rs;
}

static t10 mk(uint16_t se, uint64_t sig) {
    t10 t;
    memcpy(t.b, &sig, 8);
    memcpy(t.b + 8, &se, 2);
    return t;
}

static uint16_t se_of(t10 t) { uint16_t s; memcpy(&s, t.b + 8, 2); return s; }
static uint64_t sig_of(t10 t) { uint64_t s; memcpy(&s, t.b, 8); return s; }

/* A random 80-bit value, biased towards the cases that break soft-float code. */
static t10 value(int near_exp) {
    uint16_t sign = (rnd() & 1) ? 0x8000 : 0;
    uint64_t sig = rnd() | 0x8000000000000000ull;
    int k = rnd() % 100;
    if (k < 4) return mk(sign, 0);
    if (k < 8) return mk(sign | 0x7FFF, 0x8000000000000000ull);
    if (k < 11) return mk(sign | 0x7FFF, 0xC000000000000000ull | (rnd() >> 2 & (rnd() % 2 ? ~0ull : 0xFF)));
    if (k < 14) return mk(sign | 0x7FFF, 0x8000000000000000ull | ((rnd() >> 2) | 1));   /* SNaN */
    if (k < 19) return mk(sign, rnd() >> (1 + rnd() % 63));                               /* denormal */
    if (k < 20) return mk(sign, sig);                                                     /* pseudo-denormal */
    if (k < 21) return mk(sign | (1 + rnd() % 0x7FFE), rnd() >> 1);                        /* unnormal */
    if (k < 22) return mk(sign | 0x7FFE, ~0ull);                                          /* max */
    if (k < 23) return mk(sign | 1, 0x8000000000000000ull);                               /* min normal */
    if (k < 35) sig &= ~0ull << (rnd() % 64);                                             /* short significand: exact/halfway cases */
    if (k < 45) {                                                                         /* near the ends of the range */
        int e = (rnd() & 1) ? 1 + rnd() % 80 : 0x7FFE - rnd() % 80;
        return mk(sign | e, sig);
    }
    if (k < 55) return mk(sign | (1 + rnd() % 0x7FFE), sig);
    int e = near_exp + (int)(rnd() % 140) - 70;
    if (e < 1) e = 1;
    if (e > 0x7FFE) e = 0x7FFE;
    return mk(sign | e, sig);
}

static uint16_t control(void) {
    int rc = rnd() % 4;
    int pcs[3] = {0, 2, 3};
    int pc = pcs[rnd() % 3];
    int masks = (rnd() % 5 == 0) ? (int)(rnd() & 0x3F) : 0x3F;
    return (uint16_t)(0x40 | masks | pc << 8 | rc << 10);
}

static void hex10(t10 t) { printf(" %04x%016llx", se_of(t), (unsigned long long)sig_of(t)); }
static t10 st(const sv_t *s, int i) { t10 t; memcpy(t.b, s->b + 28 + 10 * i, 10); return t; }
static unsigned sw_of(const sv_t *s) { return s->b[4] | s->b[5] << 8; }

#define REG2(insn) asm volatile("fninit\n fldcw %1\n fldt %2\n fldt %3\n " insn "\n fnsave %0" \
        : "=m"(s) : "m"(cw), "m"(b), "m"(a))

enum { ADD, SUB, SUBR, MUL, DIV, DIVR, SQRT, RNDINT, COM, UCOM, SCALE, XTRACT, PREM, PREM1, XAM, TST,
       SIN, COS, SINCOS, PTAN, PATAN, F2XM1, YL2X, YL2XP1, NREG };
static const char *names[] = {"add", "sub", "subr", "mul", "div", "divr", "sqrt", "rndint", "com", "ucom",
        "scale", "xtract", "prem", "prem1", "xam", "tst", "sin", "cos", "sincos", "ptan", "patan",
        "f2xm1", "yl2x", "yl2xp1"};

static void reg_case(int op, uint16_t cw, t10 a, t10 b) {
    sv_t s;
    switch (op) {
    case ADD: REG2("fadd %%st(1), %%st"); break;
    case SUB: REG2("fsub %%st(1), %%st"); break;
    case SUBR: REG2("fsubr %%st(1), %%st"); break;
    case MUL: REG2("fmul %%st(1), %%st"); break;
    case DIV: REG2("fdiv %%st(1), %%st"); break;
    case DIVR: REG2("fdivr %%st(1), %%st"); break;
    case SQRT: REG2("fsqrt"); break;
    case RNDINT: REG2("frndint"); break;
    case COM: REG2("fcom %%st(1)"); break;
    case UCOM: REG2("fucom %%st(1)"); break;
    case SCALE: REG2("fscale"); break;
    case XTRACT: REG2("fxtract"); break;
    case PREM: REG2("fprem"); break;
    case PREM1: REG2("fprem1"); break;
    case XAM: REG2("fxam"); break;
    case TST: REG2("ftst"); break;
    case SIN: REG2("fsin"); break;
    case COS: REG2("fcos"); break;
    case SINCOS: REG2("fsincos"); break;
    case PTAN: REG2("fptan"); break;
    case PATAN: REG2("fpatan"); break;
    case F2XM1: REG2("f2xm1"); break;
    case YL2X: REG2("fyl2x"); break;
    case YL2XP1: REG2("fyl2xp1"); break;
    }
    printf("%s %04x", names[op], cw);
    hex10(a);
    hex10(b);
    hex10(st(&s, 0));
    hex10(st(&s, 1));
    printf(" %04x\n", sw_of(&s));
}

/* Stores from ST0 (=a) to memory, and loads from memory. */
static void store_case(const char *name, uint16_t cw, t10 a) {
    sv_t s;
    unsigned char m[10];
    memset(m, 0xA5, sizeof m);
    int n;
    if (!strcmp(name, "fst32")) { n = 4; asm volatile("fninit\n fldcw %2\n fldt %3\n fstps %1\n fnsave %0" : "=m"(s), "=m"(*(uint32_t *)m) : "m"(cw), "m"(a)); }
    else if (!strcmp(name, "fst64")) { n = 8; asm volatile("fninit\n fldcw %2\n fldt %3\n fstpl %1\n fnsave %0" : "=m"(s), "=m"(*(uint64_t *)m) : "m"(cw), "m"(a)); }
    else if (!strcmp(name, "fist16")) { n = 2; asm volatile("fninit\n fldcw %2\n fldt %3\n fistps %1\n fnsave %0" : "=m"(s), "=m"(*(uint16_t *)m) : "m"(cw), "m"(a)); }
    else if (!strcmp(name, "fist32")) { n = 4; asm volatile("fninit\n fldcw %2\n fldt %3\n fistpl %1\n fnsave %0" : "=m"(s), "=m"(*(uint32_t *)m) : "m"(cw), "m"(a)); }
    else if (!strcmp(name, "fist64")) { n = 8; asm volatile("fninit\n fldcw %2\n fldt %3\n fistpll %1\n fnsave %0" : "=m"(s), "=m"(*(uint64_t *)m) : "m"(cw), "m"(a)); }
    else { n = 10; asm volatile("fninit\n fldcw %2\n fldt %3\n fbstp %1\n fnsave %0" : "=m"(s), "=m"(*(t10 *)m) : "m"(cw), "m"(a)); }
    printf("%s %04x", name, cw);
    hex10(a);
    printf(" - ");
    for (int i = n - 1; i >= 0; i--) printf("%02x", m[i]);
    printf(" - %04x\n", sw_of(&s));
}

static void load_case(const char *name, uint16_t cw, const unsigned char *m, int n) {
    sv_t s;
    if (!strcmp(name, "fld32")) asm volatile("fninit\n fldcw %1\n flds %2\n fnsave %0" : "=m"(s) : "m"(cw), "m"(*(uint32_t *)m));
    else if (!strcmp(name, "fld64")) asm volatile("fninit\n fldcw %1\n fldl %2\n fnsave %0" : "=m"(s) : "m"(cw), "m"(*(uint64_t *)m));
    else if (!strcmp(name, "fild16")) asm volatile("fninit\n fldcw %1\n filds %2\n fnsave %0" : "=m"(s) : "m"(cw), "m"(*(uint16_t *)m));
    else if (!strcmp(name, "fild32")) asm volatile("fninit\n fldcw %1\n fildl %2\n fnsave %0" : "=m"(s) : "m"(cw), "m"(*(uint32_t *)m));
    else if (!strcmp(name, "fild64")) asm volatile("fninit\n fldcw %1\n fildll %2\n fnsave %0" : "=m"(s) : "m"(cw), "m"(*(uint64_t *)m));
    else asm volatile("fninit\n fldcw %1\n fbld %2\n fnsave %0" : "=m"(s) : "m"(cw), "m"(*(t10 *)m));
    printf("%s %04x ", name, cw);
    for (int i = n - 1; i >= 0; i--) printf("%02x", m[i]);
    printf(" -");
    hex10(st(&s, 0));
    printf(" - %04x\n", sw_of(&s));
}

/* Memory patterns for loads: random bits with special exponents mixed in. */
static void mem_value(unsigned char *m, int n) {
    uint64_t v = rnd();
    int k = rnd() % 10;
    if (n == 4) {
        uint32_t x = (uint32_t)v;
        if (k == 0) x &= 0x807FFFFF;                 /* zero / denormal */
        if (k == 1) x |= 0x7F800000;                 /* inf / NaN */
        if (k == 2) x &= 0x80000000 | (0x7FFFFF >> (rnd() % 23));
        memcpy(m, &x, 4);
    } else if (n == 8) {
        if (k == 0) v &= 0x800FFFFFFFFFFFFFull;
        if (k == 1) v |= 0x7FF0000000000000ull;
        if (k == 2) v &= 0x8000000000000000ull | (0xFFFFFFFFFFFFFull >> (rnd() % 52));
        memcpy(m, &v, 8);
    } else if (n == 10) {                            /* packed BCD: 18 digits, sign byte */
        for (int i = 0; i < 9; i++) m[i] = (unsigned char)((rnd() % 10) << 4 | rnd() % 10);
        if (k < 3) for (int i = 9 - k * 3; i < 9; i++) m[i] = 0;
        m[9] = (rnd() & 1) ? 0x80 : 0;
    } else {
        if (k < 3) v >>= rnd() % 64;
        if (k == 3) v = (v & 1) ? (1ull << (n * 8 - 1)) : 0;
        memcpy(m, &v, n);
    }
}

/* A value for integer/BCD stores: mostly within or near the target range. */
static t10 int_value(int bits) {
    int k = rnd() % 10;
    if (k < 3) return value(16383);
    uint16_t sign = (rnd() & 1) ? 0x8000 : 0;
    int e = 16383 + (int)(rnd() % (bits + 2)) - 1;
    uint64_t sig = (rnd() | 0x8000000000000000ull);
    if (k < 6) sig &= ~0ull << (rnd() % 64);
    if (k == 6) { e = 16383 + bits - 1; sig = 0x8000000000000000ull | (rnd() % 2 ? 0 : (rnd() >> (bits + 1))); }
    return mk(sign | e, sig);
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    struct { int op, n; } plan[] = {
        {ADD, 6000}, {SUB, 4000}, {SUBR, 1000}, {MUL, 6000}, {DIV, 6000}, {DIVR, 1000}, {SQRT, 4000},
        {RNDINT, 3000}, {COM, 3000}, {UCOM, 3000}, {SCALE, 3000}, {XTRACT, 2000}, {PREM, 3000},
        {PREM1, 3000}, {XAM, 1000}, {TST, 1000}, {SIN, 1500}, {COS, 1500}, {SINCOS, 1000},
        {PTAN, 1500}, {PATAN, 1500}, {F2XM1, 1500}, {YL2X, 1500}, {YL2XP1, 1500},
    };
    for (unsigned p = 0; p < sizeof plan / sizeof plan[0]; p++) {
        int op = plan[p].op;
        for (int i = 0; i < plan[p].n * scale; i++) {
            t10 a = value(16383), b;
            int k = rnd() % 4;
            if (k == 0 && (se_of(a) & 0x7FFF) != 0x7FFF) {      /* b close to a: cancellation */
                int e = (se_of(a) & 0x7FFF) + (int)(rnd() % 3) - 1;
                if (e < 0) e = 0;
                b = mk((rnd() & 1 ? 0x8000 : 0) | e, sig_of(a) ^ (rnd() >> (rnd() % 64)));
            } else if (op == SCALE && k == 1) {
                b = mk((rnd() & 1 ? 0x8000 : 0) | (16383 + rnd() % 16), rnd() | 0x8000000000000000ull);
            } else if ((op >= SIN && op <= F2XM1) && k < 3) {        /* transcendental domains */
                int e = 16383 - (int)(rnd() % 70) + (op == F2XM1 ? -1 : 8);
                a = mk((rnd() & 1 ? 0x8000 : 0) | e, rnd() | 0x8000000000000000ull);
                b = value(16383);
            } else if ((op == YL2X || op == YL2XP1) && k < 3) {
                int e = op == YL2XP1 ? 16383 - 2 - (int)(rnd() % 60) : 16383 + (int)(rnd() % 200) - 100;
                a = mk((op == YL2XP1 && (rnd() & 1)) ? 0x8000 | e : e, rnd() | 0x8000000000000000ull);
                b = value(16383);
            } else {
                b = value(k == 1 ? (se_of(a) & 0x7FFF) : 16383);
            }
            reg_case(op, control(), a, b);
        }
    }
    const char *stores[] = {"fst32", "fst64", "fist16", "fist32", "fist64", "fbstp"};
    int sbits[] = {128, 1024, 16, 32, 64, 60};
    for (int j = 0; j < 6; j++)
        for (int i = 0; i < 3000 * scale; i++) {
            t10 a;
            if (j < 2) {
                a = value(16383);
                if (rnd() % 3 == 0) {
                    int lim = j == 0 ? 150 : 1075;
                    a = mk((rnd() & 1 ? 0x8000 : 0) | (16383 + (int)(rnd() % (2 * lim)) - lim),
                           (rnd() | 0x8000000000000000ull) & (~0ull << (rnd() % 48)));
                }
            } else a = int_value(sbits[j]);
            store_case(stores[j], control(), a);
        }
    const char *loads[] = {"fld32", "fld64", "fild16", "fild32", "fild64", "fbld"};
    int lsize[] = {4, 8, 2, 4, 8, 10};
    for (int j = 0; j < 6; j++)
        for (int i = 0; i < 1500 * scale; i++) {
            unsigned char m[10];
            mem_value(m, lsize[j]);
            load_case(loads[j], control(), m, lsize[j]);
        }
    return 0;
}
