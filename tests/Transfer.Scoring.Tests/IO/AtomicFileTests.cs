using Transfer.IO;

namespace Transfer.Scoring.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("transfer-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_NewFile_WritesTheContentAndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(_dir, "sub", "a.bin");

        string written = AtomicFile.WriteAllBytes(path, new byte[] { 1, 2, 3 });

        Assert.Equal(Path.GetFullPath(path), written);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Equal(["a.bin"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_WriterThrows_LeavesTheOldFileIntactAndNoTemporaryFile()
    {
        string path = Path.Combine(_dir, "report.html");
        File.WriteAllText(path, "old");

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("half of the new"u8);
            throw new IOException("No space left on device");
        }));

        Assert.Equal("No space left on device", e.Message);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["report.html"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_Cancelled_LeavesTheOldFileIntactAndNoTemporaryFile()
    {
        string path = Path.Combine(_dir, "model.zip");
        File.WriteAllText(path, "old");
        using var cts = new CancellationTokenSource();

        Assert.Throws<OperationCanceledException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("new"u8);
            cts.Cancel();
        }, cancellationToken: cts.Token));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Write_NoOverwriteAndTheFileExists_ThrowsKeepsTheFileAndDeletesTheTemporaryFile()
    {
        string path = Path.Combine(_dir, "segment.parquet");
        File.WriteAllText(path, "first");

        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream => stream.Write("second"u8), "tmp-x.partial", overwrite: false));

        Assert.Equal("first", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Write_TemporaryName_IsUsedInTheTargetFolder()
    {
        string path = Path.Combine(_dir, "marker.json");
        string? seen = null;

        AtomicFile.Write(path, stream => seen = ((FileStream)stream).Name, "tmp-name.partial");

        Assert.Equal(Path.Combine(Path.GetFullPath(_dir), "tmp-name.partial"), seen);
        Assert.False(File.Exists(seen));
    }

    [Fact]
    public void Commit_FilledTemporaryFile_ReplacesTheTarget()
    {
        string path = Path.Combine(_dir, "graph.onnx");
        string temp = path + ".1.tmp";
        File.WriteAllText(path, "old");
        File.WriteAllText(temp, "new");

        AtomicFile.Commit(temp, path, overwrite: true);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.False(File.Exists(temp));
    }

    [Fact]
    public void Commit_TargetExistsWithoutOverwrite_ThrowsAndDeletesTheTemporaryFile()
    {
        string path = Path.Combine(_dir, "graph.onnx");
        string temp = path + ".1.tmp";
        File.WriteAllText(path, "old");
        File.WriteAllText(temp, "new");

        Assert.Throws<IOException>(() => AtomicFile.Commit(temp, path, overwrite: false));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.False(File.Exists(temp));
    }
}
