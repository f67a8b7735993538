// SORT with BY and a LIMIT window sorts with Redis's partial quicksort (pqsort.c), which only
// recurses into partitions that overlap the window. Elements that compare equal (ALPHA weights
// that are equal or missing) end up in the order this particular algorithm leaves them, so to
// reply the same window as Redis we partition the same way: Bentley-McIlroy three-way
// partitioning, the median of three (of nine above 40 elements) as pivot, insertion sort below 7
// elements, and the window test on both halves. Written from the algorithm's description.
namespace Cinnabar.Server.Commands;

/// <summary>Redis's pqsort over an array, for the window [first, last].</summary>
internal static class PartialQuickSort
{
    /// <summary>Sorts <paramref name="a"/> enough that positions first..last hold what a full sort would put there.</summary>
    public static void Sort<T>(T[] a, IComparer<T> cmp, long first, long last) =>
        Run(a, cmp, 0, a.Length, first, last);

    private static void Run<T>(T[] a, IComparer<T> cmp, long s, long n, long first, long last)
    {
        while (true)
        {
            if (n < 7)
            {
                for (long m = s + 1; m < s + n; m++)
                {
                    for (long p = m; p > s && cmp.Compare(a[p - 1], a[p]) > 0; p--)
                    {
                        Swap(a, p, p - 1);
                    }
                }

                return;
            }

            long pm = s + (n / 2);
            if (n > 7)
            {
                long pl = s, pn = s + n - 1;
                if (n > 40)
                {
                    long d = n / 8;
                    pl = Median(a, cmp, pl, pl + d, pl + (2 * d));
                    pm = Median(a, cmp, pm - d, pm, pm + d);
                    pn = Median(a, cmp, pn - (2 * d), pn - d, pn);
                }

                pm = Median(a, cmp, pl, pm, pn);
            }

            // The pivot sits at s; equal elements gather at both ends, then move to the middle.
            Swap(a, s, pm);
            long pa = s + 1, pb = s + 1, pc = s + n - 1, pd = s + n - 1;
            while (true)
            {
                int r;
                while (pb <= pc && (r = cmp.Compare(a[pb], a[s])) <= 0)
                {
                    if (r == 0)
                    {
                        Swap(a, pa++, pb);
                    }

                    pb++;
                }

                while (pb <= pc && (r = cmp.Compare(a[pc], a[s])) >= 0)
                {
                    if (r == 0)
                    {
                        Swap(a, pc, pd--);
                    }

                    pc--;
                }

                if (pb > pc)
                {
                    break;
                }

                Swap(a, pb++, pc--);
            }

            long end = s + n;
            long k = Math.Min(pa - s, pb - pa);
            SwapBlocks(a, s, pb - k, k);
            k = Math.Min(pd - pc, end - pd - 1);
            SwapBlocks(a, pb, end - k, k);

            long lessCount = pb - pa;
            if (lessCount > 1 && Overlaps(s, lessCount, first, last))
            {
                Run(a, cmp, s, lessCount, first, last);
            }

            long greaterCount = pd - pc;
            if (greaterCount <= 1 || !Overlaps(end - greaterCount, greaterCount, first, last))
            {
                return;
            }

            s = end - greaterCount;
            n = greaterCount;
        }
    }

    // pqsort's test, in elements: the part [s, s+n) is skipped when the window lies wholly
    // before it or wholly after it.
    private static bool Overlaps(long s, long n, long first, long last) =>
        !((first < s && last < s) || (first >= s + n && last >= s + n));

    private static long Median<T>(T[] a, IComparer<T> cmp, long x, long y, long z) =>
        cmp.Compare(a[x], a[y]) < 0
            ? (cmp.Compare(a[y], a[z]) < 0 ? y : cmp.Compare(a[x], a[z]) < 0 ? z : x)
            : (cmp.Compare(a[y], a[z]) > 0 ? y : cmp.Compare(a[x], a[z]) < 0 ? x : z);

    private static void Swap<T>(T[] a, long i, long j) => (a[i], a[j]) = (a[j], a[i]);

    private static void SwapBlocks<T>(T[] a, long i, long j, long count)
    {
        for (long x = 0; x < count; x++)
        {
            Swap(a, i + x, j + x);
        }
    }
}
