// A compact log-linear histogram of command durations in nanoseconds, close to the
// hdr_histogram Redis keeps per command (2 significant digits, 1 us .. 1 s): values are kept
// in buckets whose width is under 1% of their value, and a percentile reports the highest
// value of its bucket, as hdr_value_at_percentile does.
namespace Cinnabar.Server.Diagnostics;

/// <summary>Latency histogram for INFO latencystats and LATENCY HISTOGRAM.</summary>
internal sealed class LatencyHistogram
{
    private const long MinValue = 1;
    private const long MaxValue = 1_000_000_000;
    private const int SubBits = 7;
    private const int RowSize = 1 << SubBits;

    // Bucket key = row * RowSize + column (see BucketOf); a row is allocated when first used, so
    // recording is an array increment (it runs after every command) and a command whose
    // durations stay within a few powers of two keeps only a few 1 KB rows.
    private readonly long[]?[] _rows = new long[]?[(BucketOf(MaxValue) >> SubBits) + 1];

    /// <summary>Number of recorded values.</summary>
    public long Count { get; private set; }

    /// <summary>Records a value (clamped to the tracked range like Redis does).</summary>
    public void Record(long nanos)
    {
        nanos = Math.Clamp(nanos, MinValue, MaxValue);
        int key = BucketOf(nanos);
        var row = _rows[key >> SubBits] ??= new long[RowSize];
        row[key & (RowSize - 1)]++;
        Count++;
    }

    /// <summary>The value below which <paramref name="percentile"/> percent of the values fall.</summary>
    public long ValueAtPercentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        long wanted = Math.Max(1, (long)Math.Ceiling(Math.Min(percentile, 100.0) / 100.0 * Count));
        long seen = 0;
        int last = 0;
        foreach (var (key, count) in Buckets())
        {
            seen += count;
            last = key;
            if (seen >= wanted)
            {
                return HighestOf(key);
            }
        }

        return HighestOf(last);
    }

    /// <summary>Buckets (upper bound in ns, cumulative count) at powers of two, for LATENCY HISTOGRAM.</summary>
    public IEnumerable<(long UpperNanos, long Cumulative)> PowerOfTwoBuckets()
    {
        long cumulative = 0;
        var ordered = Buckets().ToList();
        int i = 0;
        for (long bound = 1024; i < ordered.Count; bound *= 2)
        {
            bool any = false;
            while (i < ordered.Count && HighestOf(ordered[i].Key) < bound)
            {
                cumulative += ordered[i].Count;
                any = true;
                i++;
            }

            if (any)
            {
                yield return (bound, cumulative);
            }
        }
    }

    // The non-empty buckets in increasing order of value.
    private IEnumerable<(int Key, long Count)> Buckets()
    {
        for (int r = 0; r < _rows.Length; r++)
        {
            if (_rows[r] is not { } row)
            {
                continue;
            }

            for (int c = 0; c < RowSize; c++)
            {
                if (row[c] != 0)
                {
                    yield return ((r << SubBits) | c, row[c]);
                }
            }
        }
    }

    private static int BucketOf(long v)
    {
        int log = 63 - (int)long.LeadingZeroCount(v);
        if (log < SubBits)
        {
            return (int)v;
        }

        int shift = log - SubBits + 1;
        return ((shift) << SubBits) | (int)(v >> shift);
    }

    private static long HighestOf(int key)
    {
        int shift = key >> SubBits;
        long mantissa = key & ((1 << SubBits) - 1);
        if (shift == 0)
        {
            return mantissa;
        }

        return ((mantissa + 1) << shift) - 1;
    }
}
