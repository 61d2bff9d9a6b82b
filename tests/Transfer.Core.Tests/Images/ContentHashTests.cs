using Transfer.Images;

namespace Transfer.Core.Tests.Images;

public sealed class ContentHashTests
{
    [Fact]
    public void Compute_SameBytes_EqualAndRoundTripsThroughHex()
    {
        ContentHash a = ContentHash.Compute("abc"u8);
        using var stream = new MemoryStream("abc"u8.ToArray());
        ContentHash b = ContentHash.Compute(stream);
        Assert.Equal(a, b);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", a.ToString());
        Assert.Equal(a, ContentHash.Parse(a.ToString()));
        Assert.NotEqual(a, ContentHash.Compute("abd"u8));
    }
}
