using Transfer.Caching;
using Xunit;

namespace Transfer.Core.Tests.Caching;

public sealed class SynchronousReadStreamTests
{
    [Fact]
    public async Task ReadAsync_OverAFile_CompletesBeforeReturningWithTheFileBytes()
    {
        string path = Path.GetTempFileName();
        try
        {
            byte[] expected = [.. Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7))];
            await File.WriteAllBytesAsync(path, expected);
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
            using var stream = new SynchronousReadStream(file);
            var buffer = new byte[expected.Length];
            int total = 0;
            while (total < buffer.Length)
            {
                var pending = stream.ReadAsync(buffer.AsMemory(total));
                Assert.True(pending.IsCompleted); // no thread-pool hop: a caller blocked on it needs no second pool thread
                int read = await pending;
                Assert.True(read > 0);
                total += read;
            }

            Assert.Equal(expected, buffer);
            stream.Seek(10, SeekOrigin.Begin);
            var task = stream.ReadAsync(new byte[4], 0, 4, CancellationToken.None);
            Assert.True(task.IsCompleted);
            Assert.Equal(4, await task);
            Assert.False(stream.CanWrite);
            Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
