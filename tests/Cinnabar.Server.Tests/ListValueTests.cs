using System.Text;

using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Tests;

/// <summary>The packed list against a plain List model under random edits, for several node sizes.</summary>
public class ListValueTests
{
    [Theory]
    [InlineData(-2)]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(128)]
    public void RandomPushesPopsEditsAndTrimsKeepTheSameElementsAsASimpleModel(int fill)
    {
        var rng = new Random(fill + 1000);
        var list = new ListValue("k"u8.ToArray(), fill);
        var model = new List<byte[]>();
        list.Reserve(rng.Next(1, 500), head: rng.Next(2) == 0);
        for (int step = 0; step < 4000; step++)
        {
            var value = Encoding.ASCII.GetBytes(new string((char)('a' + rng.Next(26)), rng.Next(rng.Next(10) == 0 ? 300 : 12)) + step);
            switch (rng.Next(9))
            {
                case 0:
                case 1:
                    list.Push(value, head: true);
                    model.Insert(0, value);
                    break;
                case 2:
                case 3:
                    list.Push(value, head: false);
                    model.Add(value);
                    break;
                case 4:
                    bool head = rng.Next(2) == 0;
                    var popped = list.Pop(head);
                    if (model.Count == 0)
                    {
                        Assert.Null(popped);
                    }
                    else
                    {
                        int at = head ? 0 : model.Count - 1;
                        Assert.Equal(model[at], popped);
                        model.RemoveAt(at);
                    }

                    break;
                case 5 when model.Count > 0:
                    int set = rng.Next(model.Count);
                    list.Set(set, value);
                    model[set] = value;
                    break;
                case 6 when model.Count > 0:
                    int ins = rng.Next(model.Count);
                    bool after = rng.Next(2) == 0;
                    list.InsertAt(ins, value, after);
                    model.Insert(after ? ins + 1 : ins, value);
                    break;
                case 7 when model.Count > 0:
                    int from = rng.Next(model.Count);
                    int n = rng.Next(Math.Min(20, model.Count - from) + 1);
                    list.RemoveRange(from, n);
                    model.RemoveRange(from, n);
                    break;
                case 8 when model.Count > 0:
                    var victim = model[rng.Next(model.Count)];
                    long removed = list.RemoveMatching(victim, 1, fromTail: rng.Next(2) == 0);
                    Assert.Equal(1, removed);
                    model.Remove(victim);
                    break;
            }

            Assert.Equal(model.Count, list.Count);
        }

        var forward = new List<byte[]>();
        var it = list.Iterate(0);
        while (it.Next(out var e))
        {
            forward.Add(e.ToArray());
        }

        Assert.Equal(model, forward);
        var backward = new List<byte[]>();
        var back = list.IterateBackward(list.Count - 1);
        while (back.Next(out var e))
        {
            backward.Add(e.ToArray());
        }

        backward.Reverse();
        Assert.Equal(model, backward);
        for (int i = 0; i < model.Count; i += 7)
        {
            Assert.Equal(model[i], list.Get(i).ToArray());
        }
    }

    [Fact]
    public void ACloneIsIndependentOfTheOriginal()
    {
        var list = new ListValue("a"u8.ToArray(), -2);
        list.Push("x"u8, head: false);
        var copy = (ListValue)list.CloneWithKey("b"u8.ToArray());
        copy.Push("y"u8, head: false);
        Assert.Equal(1, list.Count);
        Assert.Equal(2, copy.Count);
    }

    [Fact]
    public void AListMovesBetweenOneNodeAndManyAndBackKeepingItsElements()
    {
        var list = new ListValue("l"u8.ToArray(), 2);
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 9; i++)
            {
                list.Push(Encoding.ASCII.GetBytes("e" + i), head: false);
            }

            Assert.Equal(5, list.NodeCount);
            var copy = (ListValue)list.CloneWithKey("c"u8.ToArray());
            Assert.Equal(5, copy.NodeCount);
            list.RemoveRange(1, 6);
            Assert.Equal(3, list.Count);
            Assert.Equal("e0", Encoding.ASCII.GetString(list.Get(0)));
            Assert.Equal("e7", Encoding.ASCII.GetString(list.Get(1)));
            Assert.Equal("e8", Encoding.ASCII.GetString(list.Get(2)));
            Assert.Equal("e8", Encoding.ASCII.GetString(list.Pop(head: false)!));
            Assert.Equal("e7", Encoding.ASCII.GetString(list.Pop(head: false)!));
            Assert.Equal(1, list.NodeCount);
            list.InsertAt(0, "b"u8, after: false);
            list.Set(1, "z"u8);
            Assert.Equal("b", Encoding.ASCII.GetString(list.Pop(head: true)!));
            Assert.Equal("z", Encoding.ASCII.GetString(list.Pop(head: true)!));
            Assert.Equal(0, list.NodeCount);
            Assert.Null(list.Pop(head: true));
            Assert.Equal(9, copy.Count);
            Assert.Equal("e4", Encoding.ASCII.GetString(copy.Get(4)));
        }
    }
}
