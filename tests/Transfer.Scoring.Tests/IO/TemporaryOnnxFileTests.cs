using Transfer.IO;

namespace Transfer.Scoring.Tests.IO;

public sealed class TemporaryOnnxFileTests
{
    [Fact]
    public void New_WritesTheModelInTheTempFolder_NamedForItsPurpose()
    {
        using var file = new TemporaryOnnxFile(new byte[] { 8, 1, 2 }, "test");

        Assert.Equal(new byte[] { 8, 1, 2 }, File.ReadAllBytes(file.FilePath));
        Assert.Equal(Path.GetFullPath(Path.GetTempPath()), Path.GetDirectoryName(file.FilePath) + Path.DirectorySeparatorChar);
        Assert.StartsWith("transfer-test-", Path.GetFileName(file.FilePath), StringComparison.Ordinal);
        Assert.EndsWith(".onnx", file.FilePath, StringComparison.Ordinal);
        Assert.Contains(file.FilePath, TemporaryOnnxFile.LivePaths);
    }

    [Fact]
    public void Dispose_DeletesTheFile_AndForgetsIt()
    {
        var file = new TemporaryOnnxFile(new byte[] { 1 }, "test");

        file.Dispose();
        file.Dispose();

        Assert.False(File.Exists(file.FilePath));
        Assert.DoesNotContain(file.FilePath, TemporaryOnnxFile.LivePaths);
    }

    [Fact]
    public void DeleteAll_WhatProcessExitRuns_DeletesFilesNeverDisposed()
    {
        var kept = new TemporaryOnnxFile(new byte[] { 1 }, "test"); // as a neural head's: never disposed

        TemporaryOnnxFile.DeleteAll(p => p == kept.FilePath); // the others belong to tests running beside this one

        Assert.False(File.Exists(kept.FilePath));
        Assert.DoesNotContain(kept.FilePath, TemporaryOnnxFile.LivePaths);
    }
}
