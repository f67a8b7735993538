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
    private readonly Dictionary<int, long> _counts = [];

    /// <summary>Number of recorded values.</summary>
    public long Count { get; private set; }

    /// <summary>Records a value (clamped to the tracked range like Redis does).</summary>
    public void Record(long nanos)
    {
        nanos = Math.Clamp(nanos, MinValue, MaxValue);
        int key = BucketOf(nanos);
        _counts[key] = _counts.GetValueOrDefault(key) + 1;
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
        foreach (var key in _counts.Keys.Order())
        {
            seen += _counts[key];
            if (seen >= wanted)
            {
                return HighestOf(key);
            }
        }

        return HighestOf(_counts.Keys.Max());
    }

    /// <summary>Buckets (upper bound in ns, cumulative count) at powers of two, for LATENCY HISTOGRAM.</summary>
    public IEnumerable<(long UpperNanos, long Cumulative)> PowerOfTwoBuckets()
    {
        long cumulative = 0;
        var ordered = _counts.OrderBy(p => p.Key).ToList();
        int i = 0;
        for (long bound = 1024; i < ordered.Count; bound *= 2)
        {
            bool any = false;
            while (i < ordered.Count && HighestOf(ordered[i].Key) < bound)
            {
                cumulative += ordered[i].Value;
                any = true;
                i++;
            }

            if (any)
            {
                yield return (bound, cumulative);
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
