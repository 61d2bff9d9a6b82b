using Transfer.Images;

namespace Transfer.Core.Tests.Images;

public sealed class ImageShardTests
{
    private static readonly ContentHash[] Hashes = [.. Enumerable.Range(0, 2000).Select(i => ContentHash.Compute(BitConverter.GetBytes(i)))];

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(1000)]
    public void Contains_EveryImageInExactlyOneShard_AndShardsBalanced(int count)
    {
        var shards = Enumerable.Range(0, count).Select(i => new ImageShard(i, count)).ToList();
        var sizes = new int[count];
        foreach (var hash in Hashes)
        {
            var owners = shards.Where(s => s.Contains(hash)).ToList();
            Assert.Single(owners);
            Assert.Equal(ImageShard.IndexOf(hash, count), owners[0].Index);
            sizes[owners[0].Index]++;
        }

        if (count <= 8)
        {
            double expected = (double)Hashes.Length / count;
            Assert.All(sizes, size => Assert.InRange(size, expected * 0.8, expected * 1.2));
        }
    }

    [Fact]
    public void IndexOf_FixedByTheHashBytes_SameOnEveryMachineAndRun()
    {
        // SHA-256 of "abc" starts ba7816bf8f01cfea: big-endian 0xba7816bf8f01cfea, taken modulo N.
        var abc = ContentHash.Compute("abc"u8);
        ulong first = 0xba7816bf8f01cfeaUL;

        Assert.Equal((int)(first % 3), ImageShard.IndexOf(abc, 3));
        Assert.Equal((int)(first % 7), ImageShard.IndexOf(abc, 7));
        Assert.Equal((int)(first % 1000), ImageShard.IndexOf(abc, 1000));
        Assert.Equal(0, ImageShard.IndexOf(abc, 1));
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("2/3", 2, 3)]
    [InlineData("0/16", 0, 16)]
    public void Parse_IOverN_GivesTheShard(string text, int index, int count)
    {
        var shard = ImageShard.Parse(text);

        Assert.Equal(new ImageShard(index, count), shard);
        Assert.Equal(text, shard.ToString());
    }

    [Theory]
    [InlineData("3/3")]
    [InlineData("1/0")]
    [InlineData("-1/4")]
    [InlineData("1")]
    [InlineData("a/b")]
    [InlineData("1/2/3")]
    [InlineData("")]
    public void Parse_Malformed_SaysWhatIsExpected(string text)
    {
        var e = Assert.Throws<FormatException>(() => ImageShard.Parse(text));

        Assert.Equal($"A shard is i/N with 0 <= i < N (numbered from 0, e.g. 0/4 to 3/4), was \"{text}\".", e.Message);
    }

    [Fact]
    public void Constructor_IndexOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageShard(4, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageShard(0, 0));
        Assert.True(ImageShard.All.Contains(Hashes[0]));
    }
}
