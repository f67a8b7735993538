using System.Text;

using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Tests;

/// <summary>The sorted-set data structure in both encodings against a plain sorted-list model.</summary>
public class ZSetValueTests
{
    private static readonly Comparison<(string Member, double Score)> Order = (a, b) =>
        a.Score != b.Score ? a.Score.CompareTo(b.Score) : string.CompareOrdinal(a.Member, b.Member);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomAddsUpdatesAndRemovesMatchASortedListModel(bool skiplist)
    {
        var rng = new Random(skiplist ? 5 : 6);
        var z = new ZSetValue("z"u8.ToArray(), skiplist);
        var model = new List<(string Member, double Score)>();
        for (int i = 0; i < 4000; i++)
        {
            string m = "m" + rng.Next(400);
            var bytes = Encoding.ASCII.GetBytes(m);
            int at = model.FindIndex(e => e.Member == m);
            switch (rng.Next(4))
            {
                case 0:
                    Assert.Equal(at >= 0, z.Remove(bytes));
                    if (at >= 0)
                    {
                        model.RemoveAt(at);
                    }

                    break;
                default:
                    double score = rng.Next(3) == 0 ? rng.Next(-5, 5) : Math.Round(rng.NextDouble() * 100, 2);
                    var outcome = z.Add(bytes, score, ZAddFlags.None, long.MaxValue, long.MaxValue, out double now);
                    Assert.Equal(score, now);
                    if (at >= 0)
                    {
                        Assert.Equal(model[at].Score == score ? ZAddOutcome.Unchanged : ZAddOutcome.Updated, outcome);
                        model.RemoveAt(at);
                    }
                    else
                    {
                        Assert.Equal(ZAddOutcome.Added, outcome);
                    }

                    model.Add((m, score));
                    break;
            }

            model.Sort(Order);
            Assert.Equal(model.Count, z.Count);
            if (i % 97 == 0)
            {
                AssertSameOrder(model, z);
                for (int r = 0; r < model.Count; r += 7)
                {
                    var bytesAt = Encoding.ASCII.GetBytes(model[r].Member);
                    Assert.Equal(r, z.Rank(bytesAt, reverse: false));
                    Assert.Equal(model.Count - 1 - r, z.Rank(bytesAt, reverse: true));
                    Assert.Equal(model[r].Member, Encoding.ASCII.GetString(z.At(r).Member));
                }
            }
        }

        Assert.Equal(skiplist ? "skiplist" : "listpack", z.Encoding);
    }

    [Fact]
    public void ScoreAndLexRangesCountLikeALinearScan()
    {
        var rng = new Random(11);
        foreach (bool skiplist in new[] { false, true })
        {
            var z = new ZSetValue("z"u8.ToArray(), skiplist);
            var scores = new List<double>();
            for (int i = 0; i < 300; i++)
            {
                double s = rng.Next(-20, 20) / 2.0;
                z.Add(Encoding.ASCII.GetBytes("k" + i), s, ZAddFlags.None, long.MaxValue, long.MaxValue, out _);
                scores.Add(s);
            }

            for (int t = 0; t < 200; t++)
            {
                var range = new ScoreRange(rng.Next(-22, 22) / 2.0, rng.Next(-22, 22) / 2.0, rng.Next(2) == 0, rng.Next(2) == 0);
                Assert.Equal(scores.Count(s => !range.GteMin(s)), z.CountBelow(range));
                Assert.Equal(scores.Count(range.LteMax), z.CountAtMost(range));
            }

            var lex = new ZSetValue("l"u8.ToArray(), skiplist);
            var names = Enumerable.Range(0, 200).Select(i => "n" + (i * 37 % 1000)).ToList();
            foreach (var n in names)
            {
                lex.Add(Encoding.ASCII.GetBytes(n), 0, ZAddFlags.None, long.MaxValue, long.MaxValue, out _);
            }

            var range2 = LexRange.TryParse("(n3"u8, "[n70"u8)!;
            Assert.Equal(names.Count(n => string.CompareOrdinal(n, "n3") <= 0), lex.CountBelow(range2));
            Assert.Equal(names.Count(n => string.CompareOrdinal(n, "n70") <= 0), lex.CountAtMost(range2));
            Assert.Null(LexRange.TryParse("n3"u8, "+"u8));
            Assert.True(LexRange.TryParse("+"u8, "-"u8)!.IsEmpty);
            Assert.False(LexRange.TryParse("-"u8, "+"u8)!.IsEmpty);
        }
    }

    [Fact]
    public void RankRangesAreRemovedFromBothEncodings()
    {
        foreach (bool skiplist in new[] { false, true })
        {
            var z = new ZSetValue("z"u8.ToArray(), skiplist);
            for (int i = 0; i < 50; i++)
            {
                z.Add(Encoding.ASCII.GetBytes("m" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)), i, ZAddFlags.None, long.MaxValue, long.MaxValue, out _);
            }

            Assert.Equal(10, z.RemoveRanks(5, 14));
            Assert.Equal(40, z.Count);
            Assert.Equal("m04", Encoding.ASCII.GetString(z.At(4).Member));
            Assert.Equal("m15", Encoding.ASCII.GetString(z.At(5).Member));
            Assert.Equal(5, z.RemoveRanks(35, 100));
            Assert.Equal(0, z.RemoveRanks(40, 50));
            Assert.Equal(35, z.Count);
            Assert.False(z.TryGetScore("m10"u8, out _));
            Assert.True(z.TryGetScore("m44"u8, out double s) && s == 44);
        }
    }

    [Fact]
    public void TheCompactFormConvertsAtItsLimitsAndBackOnlyWhenAsked()
    {
        var z = new ZSetValue("z"u8.ToArray());
        for (int i = 0; i < 3; i++)
        {
            z.Add(Encoding.ASCII.GetBytes("m" + i), i, ZAddFlags.None, 3, 8, out _);
        }

        Assert.True(z.IsListpack);
        z.Add("m3"u8, 3, ZAddFlags.None, 3, 8, out _);
        Assert.Equal("skiplist", z.Encoding);
        z.Remove("m3"u8);
        Assert.False(z.IsListpack);
        z.ConvertToListpackIfNeeded(3, 1);
        Assert.False(z.IsListpack);
        z.ConvertToListpackIfNeeded(3, 8);
        Assert.True(z.IsListpack);
        AssertSameOrder([("m0", 0), ("m1", 1), ("m2", 2)], z);
        z.Add("a-member-of-nine"u8, 9, ZAddFlags.None, 3, 8, out _);
        Assert.False(z.IsListpack);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(16383)]
    [InlineData(16384)]
    public void TheKeyKeptInTheCompactArraySurvivesGrowthConversionsRenamesAndTrimming(int keyLength)
    {
        var key = new byte[keyLength];
        Random.Shared.NextBytes(key);
        var z = new ZSetValue(key, capacity: 5);
        Assert.True(z.Key.SequenceEqual(key));
        for (int i = 0; i < 40; i++)
        {
            z.Add(Encoding.ASCII.GetBytes("member-" + i), i, ZAddFlags.None, 64, 64, out _);
            Assert.True(z.Key.SequenceEqual(key));
        }

        z.TrimExcess();
        Assert.True(z.Key.SequenceEqual(key));
        Assert.Equal(40, z.Count);
        Assert.True(z.TryGetScore("member-39"u8, out double last));
        Assert.Equal(39, last);

        var renamed = Encoding.ASCII.GetBytes("renamed");
        z.ChangeKey(renamed);
        Assert.True(z.Key.SequenceEqual(renamed));
        z.ConvertToSkiplist();
        Assert.True(z.Key.SequenceEqual(renamed));
        z.ChangeKey(key);
        z.ConvertToListpackIfNeeded(64, 64);
        Assert.True(z.IsListpack);
        Assert.True(z.Key.SequenceEqual(key));
        var copy = (ZSetValue)z.CloneWithKey(renamed);
        Assert.True(copy.Key.SequenceEqual(renamed));
        Assert.True(z.Key.SequenceEqual(key));
        Assert.Equal(z.ToArray().Select(e => (Encoding.ASCII.GetString(e.Member), e.Score)), copy.ToArray().Select(e => (Encoding.ASCII.GetString(e.Member), e.Score)));
        for (int i = 0; i < 40; i++)
        {
            Assert.True(copy.Remove(Encoding.ASCII.GetBytes("member-" + i)));
        }

        Assert.Equal(0, copy.Count);
        Assert.True(copy.Key.SequenceEqual(renamed));
    }

    [Fact]
    public void ScoresKeepTheirValuesInTheCompactFormExceptThatMinusZeroReadsAsZeroAsInRedis()
    {
        double[] scores = [0.1, -2.5e-300, double.PositiveInfinity, double.NegativeInfinity, 4611686018427387904.0, 9.2233720368547758e18, -4611686018427387904.0, 123456789, 1e17, -7];
        var z = new ZSetValue("z"u8.ToArray());
        for (int i = 0; i < scores.Length; i++)
        {
            z.Add(Encoding.ASCII.GetBytes("m" + i), scores[i], ZAddFlags.None, 128, 64, out _);
        }

        for (int i = 0; i < scores.Length; i++)
        {
            Assert.True(z.TryGetScore(Encoding.ASCII.GetBytes("m" + i), out double s));
            Assert.Equal(scores[i], s);
        }

        z.Add("neg"u8, -0.0, ZAddFlags.None, 128, 64, out _);
        z.TryGetScore("neg"u8, out double n);
        Assert.False(double.IsNegative(n));
        var big = new ZSetValue("b"u8.ToArray(), skiplist: true);
        big.Add("neg"u8, -0.0, ZAddFlags.None, 128, 64, out _);
        big.TryGetScore("neg"u8, out double bn);
        Assert.True(double.IsNegative(bn));
    }

    [Fact]
    public void AddHonoursNxXxGtLtAndIncr()
    {
        var z = new ZSetValue("z"u8.ToArray());
        Assert.Equal(ZAddOutcome.Nop, z.Add("a"u8, 1, ZAddFlags.Xx, 128, 64, out _));
        Assert.Equal(ZAddOutcome.Added, z.Add("a"u8, 5, ZAddFlags.Nx, 128, 64, out _));
        Assert.Equal(ZAddOutcome.Nop, z.Add("a"u8, 6, ZAddFlags.Nx, 128, 64, out _));
        Assert.Equal(ZAddOutcome.Nop, z.Add("a"u8, 4, ZAddFlags.Gt, 128, 64, out _));
        Assert.Equal(ZAddOutcome.Updated, z.Add("a"u8, 7, ZAddFlags.Gt, 128, 64, out _));
        Assert.Equal(ZAddOutcome.Nop, z.Add("a"u8, 8, ZAddFlags.Lt, 128, 64, out _));
        Assert.Equal(ZAddOutcome.Updated, z.Add("a"u8, 2.5, ZAddFlags.Incr, 128, 64, out double now));
        Assert.Equal(9.5, now);
        z.Add("i"u8, double.PositiveInfinity, ZAddFlags.None, 128, 64, out _);
        Assert.Equal(ZAddOutcome.NaN, z.Add("i"u8, double.NegativeInfinity, ZAddFlags.Incr, 128, 64, out _));
        Assert.Equal(ZAddOutcome.NaN, z.Add("j"u8, double.NaN, ZAddFlags.None, 128, 64, out _));
    }

    [Theory]
    [InlineData("1.5", true, 1.5)]
    [InlineData(" 1", false, 0)]
    [InlineData("1e400", false, 0)]
    [InlineData("1e-400", false, 0)]
    [InlineData("-inf", true, double.NegativeInfinity)]
    [InlineData("+Infinity", true, double.PositiveInfinity)]
    [InlineData("nan", false, 0)]
    [InlineData("1.", true, 1)]
    [InlineData(".5", true, 0.5)]
    [InlineData("1e", false, 0)]
    [InlineData("", false, 0)]
    public void StrictScoresFollowGetDoubleFromObject(string text, bool ok, double value)
    {
        Assert.Equal(ok, ZDouble.TryParseStrict(Encoding.ASCII.GetBytes(text), out double v));
        if (ok)
        {
            Assert.Equal(value, v);
        }
    }

    [Theory]
    [InlineData("(", "1", 0, 1, true, false)]
    [InlineData("", "(2", 0, 2, false, true)]
    [InlineData("1e400", "-inf", double.PositiveInfinity, double.NegativeInfinity, false, false)]
    public void RangeBoundsFollowZslParseRange(string min, string max, double lo, double hi, bool loEx, bool hiEx)
    {
        Assert.True(ScoreRange.TryParse(Encoding.ASCII.GetBytes(min), Encoding.ASCII.GetBytes(max), out var r));
        Assert.Equal(new ScoreRange(lo, hi, loEx, hiEx), r);
        Assert.False(ScoreRange.TryParse("abc"u8, "1"u8, out _));
        Assert.False(ScoreRange.TryParse("1"u8, "(nan"u8, out _));
    }

    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(-0.0, "-0")]
    [InlineData(0.1, "0.10000000000000001")]
    [InlineData(1e17, "1e+17")]
    [InlineData(123456789012345.0, "123456789012345")]
    [InlineData(1.5e-7, "1.4999999999999999e-07")]
    [InlineData(double.NegativeInfinity, "-inf")]
    public void RepliesFormatScoresAsPrintfG17(double d, string expected) =>
        Assert.Equal(expected, Encoding.ASCII.GetString(ZDouble.Format(d)));

    private static void AssertSameOrder(List<(string Member, double Score)> model, ZSetValue z)
    {
        var actual = new List<(string, double)>();
        var w = z.Walk(0, reverse: false);
        while (w.Next(out var m, out double s))
        {
            actual.Add((Encoding.ASCII.GetString(m), s));
        }

        Assert.Equal(model, actual);
        var back = new List<(string, double)>();
        var r = z.Walk(z.Count - 1, reverse: true);
        while (r.Next(out var m, out double s))
        {
            back.Add((Encoding.ASCII.GetString(m), s));
        }

        back.Reverse();
        Assert.Equal(model, back);
    }
}
