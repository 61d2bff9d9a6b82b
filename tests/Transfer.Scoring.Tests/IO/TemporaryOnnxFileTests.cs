using System.Globalization;
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
        Assert.StartsWith($"transfer-test-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-", Path.GetFileName(file.FilePath), StringComparison.Ordinal);
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

    [Fact]
    public void SweepLeftovers_DeletesOnlyOldFilesOfDeadProcesses()
    {
        string folder = Directory.CreateTempSubdirectory("transfer-sweep-").FullName;
        var now = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        const string Guid = "0123456789abcdef0123456789abcdef";
        string Write(string name, TimeSpan age)
        {
            string path = Path.Combine(folder, name);
            File.WriteAllBytes(path, [1]);
            File.SetLastWriteTimeUtc(path, now - age);
            return path;
        }

        string deadOld = Write($"transfer-model-222-{Guid}.onnx", TimeSpan.FromHours(1));
        string deadRecent = Write($"transfer-head-222-{Guid}.onnx", TimeSpan.FromMinutes(1)); // the id may be reused soon after
        string aliveOld = Write($"transfer-model-111-{Guid}.onnx", TimeSpan.FromDays(3)); // a long-running scorer's
        string unattributedOld = Write($"transfer-model-{Guid}.onnx", TimeSpan.FromDays(2)); // named by an earlier version
        string unattributedRecent = Write($"transfer-dropin-{Guid}.onnx", TimeSpan.FromHours(2));
        string notOurs = Write("transfer-notes.onnx", TimeSpan.FromDays(30));

        int deleted = TemporaryOnnxFile.SweepLeftovers(folder, now, pid => pid == 111);
        string[] left = Directory.GetFiles(folder);
        Directory.Delete(folder, recursive: true);

        Assert.Equal(2, deleted);
        Assert.Equal(new[] { deadRecent, aliveOld, unattributedRecent, notOurs }.Order(StringComparer.Ordinal), left.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(deadOld, left);
        Assert.DoesNotContain(unattributedOld, left);
    }

    [Fact]
    public void SweepLeftovers_OfAMissingFolder_DeletesNothing_AndDoesNotThrow()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"transfer-sweep-missing-{System.Guid.NewGuid():N}");

        Assert.Equal(0, TemporaryOnnxFile.SweepLeftovers(missing, DateTime.UtcNow, _ => false));
    }
}
