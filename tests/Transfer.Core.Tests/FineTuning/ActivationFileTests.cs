using Transfer.FineTuning;

namespace Transfer.Core.Tests.FineTuning;

public sealed class ActivationFileTests
{
    [Fact]
    public void WriteThenRead_AnyOrder_ReturnsTheRowsInHalfPrecision()
    {
        using var directory = new Transfer.Core.Tests.Caching.CacheTestDirectory();
        string path;
        using (var file = new ActivationFile(directory.Path, rows: 5, rowLength: 3))
        {
            path = file.Path;
            for (int r = 0; r < 5; r++)
            {
                file.Write(r, [r, r + 0.1f, -r * 1000.5f]);
            }

            var destination = new float[9];
            file.Read([4, 0, 2], destination, new Half[9]);

            Assert.Equal([4, (float)(Half)4.1f, -4002, 0, (float)(Half)0.1f, 0, 2, (float)(Half)2.1f, -2001], destination);
            Assert.True(File.Exists(path));
        }

        Assert.False(File.Exists(path)); // deleted with the run
    }

    [Fact]
    public void Write_WrongLength_Throws()
    {
        using var directory = new Transfer.Core.Tests.Caching.CacheTestDirectory();
        using var file = new ActivationFile(directory.Path, rows: 2, rowLength: 3);
        Assert.Throws<ArgumentException>(() => file.Write(0, [1, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => file.Write(2, [1, 2, 3]));
    }
}
