// A parameter sweep on all cores, with a progress bar, results as CSV and JSON, and a PNG plot.
// It estimates pi by throwing random points at a square (no VM needed: the point is the API).
//   ./trapdoor run scripts/experiments/sweep-demo.groovy [--repeat N] [--out DIR]
import dev.trapdoor.experiment.*
import groovy.transform.CompileStatic

def outDir = new File(opt('out', new File(System.getProperty('trapdoor.home', '.'), 'build/experiments').path))
int repeat = opt('repeat', 8)

def parameters = [
    samples  : [1_000, 10_000, 100_000, 1_000_000],
    // lcg16, a 16-bit LCG, visits a lattice of points (period 65536), which suits this smooth
    // integrand better than true randomness until it has gone round its whole period.
    generator: ['splitmix', 'lcg16'],
]

def results = Sweep.over(parameters)
        .repeat(repeat)
        .label('pi')
        .run { p ->
            double estimate = estimatePi(p.seed(), p.getInt('samples'), p.generator == 'lcg16')
            [estimate: estimate, abs_error: Math.abs(estimate - Math.PI)]
        }

/** The fraction of random points of the unit square inside the quarter circle, times 4. */
@CompileStatic
static double estimatePi(long seed, int samples, boolean poor) {
    long state = seed
    int inside = 0
    for (int i = 0; i < samples; i++) {
        double x, y
        if (poor) {
            state = (state * 25173 + 13849) & 0xffff
            x = state / 65536.0d
            state = (state * 25173 + 13849) & 0xffff
            y = state / 65536.0d
        } else {
            state += 0x9E3779B97F4A7C15L
            x = (mix(state) >>> 11) / 9007199254740992.0d    // 53 random bits / 2^53 -> [0, 1)
            state += 0x9E3779B97F4A7C15L
            y = (mix(state) >>> 11) / 9007199254740992.0d
        }
        if (x * x + y * y < 1) inside++
    }
    return 4.0d * inside / samples
}

/** SplitMix64's output function. */
@CompileStatic
static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL
    return z ^ (z >>> 31)
}

out results.toString()
results.groupBy('generator', 'samples').each { key, group ->
    out String.format('%-9s %9d  mean |error| %.5f  (min %.5f, max %.5f)', key[0], key[1],
            group.mean('abs_error'), group.min('abs_error'), group.max('abs_error'))
}

def csv = results.writeCsv(new File(outDir, 'pi-sweep.csv'))
def json = results.writeJson(new File(outDir, 'pi-sweep.json'))
def png = Plots.sweep(results, 'samples', 'abs_error', 'generator').logX().logY().png(new File(outDir, 'pi-sweep.png'))
out "wrote ${csv}, ${json} and ${png}"
exit(results.failures().size() == 0 ? 0 : 1)
