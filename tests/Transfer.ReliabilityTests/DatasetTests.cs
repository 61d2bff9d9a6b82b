using Transfer.Images;

namespace Transfer.ReliabilityTests;

/// <summary>Messy folders and manifests, and <see cref="DatasetAudit"/> (duplicates and train/test leakage).</summary>
public sealed class DatasetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("transfer-rel-set-").FullName;
    private readonly List<string> _locked = [];

    public void Dispose()
    {
        foreach (string file in _locked)
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Directory.Delete(_root, true);
    }

    [Fact]
    public void FromDirectory_EmptyFolder_FailsSayingThereAreNoClassFolders()
    {
        var e = Assert.Throws<DatasetException>(() => ImageSet.FromDirectory(_root));
        Assert.Equal($"Image folder \"{_root}\" has no class sub-folders. Put the images of each class in a sub-folder named after the class (e.g. \"{Path.Combine(_root, "cat")}\").", e.Message);
    }

    [Fact]
    public void FromDirectory_OnlyHiddenAndNonImageFiles_FailsListingTheExtensions()
    {
        Write("cat/.DS_Store", [1, 2, 3]);
        Write("cat/.thumbs/a.png", HostileFiles.Png(4, 4));
        Write("cat/readme.txt", "x"u8.ToArray());
        var e = Assert.Throws<DatasetException>(() => ImageSet.FromDirectory(_root));
        Assert.Contains("Class folder(s) with no images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromDirectory_HiddenFilesAndFolders_AreSkippedAndReported()
    {
        Write("cat/a.png", HostileFiles.Png(4, 4));
        Write("cat/._a.png", HostileFiles.Html()); // macOS resource fork: named like an image, is not one
        Write("cat/.cache/b.png", HostileFiles.Png(4, 4));
        Write("dog/c.png", HostileFiles.Png(4, 4));
        Directory.CreateDirectory(Path.Combine(_root, ".git"));
        var set = ImageSet.FromDirectory(_root);
        Assert.Equal(["cat", "dog"], set.Classes);
        Assert.Equal(2, set.Count);
        Assert.Equal(2, set.Skipped.Count(s => s.Reason == "hidden file"));
    }

    [Fact]
    public void FromDirectory_UnicodeAndSpacesInClassesAndPaths_AreKeptExactly()
    {
        string[] labels = ["chat noir", "猫", "café crème", "emoji 🐱"];
        foreach (string label in labels)
        {
            Write($"{label}/photo {label} 1.png", HostileFiles.Png(4, 4));
            Write($"{label}/sous dossier/ça va.png", HostileFiles.Png(4, 4));
        }

        var set = ImageSet.FromDirectory(_root);
        Assert.Equal(labels.Order(StringComparer.Ordinal), set.Classes);
        Assert.Equal(8, set.Count);
        Assert.All(set.Entries, e => Assert.True(File.Exists(e.Path), e.Path));
        Assert.All(set.Entries, e => Assert.StartsWith(Path.Combine(_root, e.Label), e.Path, StringComparison.Ordinal));
    }

    [Fact]
    public void FromDirectory_SymlinkLoops_TerminateWithEachImageOnce()
    {
        Write("cat/a.png", HostileFiles.Png(4, 4));
        Write("dog/b.png", HostileFiles.Png(4, 4));
        Directory.CreateSymbolicLink(Path.Combine(_root, "cat", "self"), Path.Combine(_root, "cat"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "dog", "to-cat"), Path.Combine(_root, "cat"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "cat", "to-dog"), Path.Combine(_root, "dog"));
        var set = ImageSet.FromDirectory(_root);
        Assert.Equal(["cat", "dog"], set.Classes);

        // Links back into the dataset are not followed (they would loop, or count dog's image as a cat), and are reported.
        Assert.Equal(2, set.Count);
        Assert.Equal(3, set.Skipped.Count(s => s.Reason.Contains("inside the dataset: not followed", StringComparison.Ordinal)));
    }

    [Fact]
    public void FromDirectory_SymlinkToOutsideFolderWithALoop_FollowedOnce()
    {
        string outside = Directory.CreateTempSubdirectory("transfer-rel-outside-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(outside, "x.png"), HostileFiles.Png(4, 4));
            Directory.CreateSymbolicLink(Path.Combine(outside, "again"), outside);
            Write("cat/a.png", HostileFiles.Png(4, 4));
            Write("dog/b.png", HostileFiles.Png(4, 4));
            Directory.CreateSymbolicLink(Path.Combine(_root, "cat", "more"), outside);
            var set = ImageSet.FromDirectory(_root);
            Assert.Equal(3, set.Count);
            Assert.Contains(set.Entries, e => e.Path == Path.Combine(_root, "cat", "more", "x.png") && e.Label == "cat");
            Assert.Contains(set.Skipped, s => s.Source == Path.Combine(_root, "cat", "more", "again") && s.Reason.Contains("already followed", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(outside, true);
        }
    }

    [SkippableFact]
    public void FromDirectory_UnreadableFile_IsListedThenFailsOrSkipsByPolicyWhenRead()
    {
        Write("cat/a.png", HostileFiles.Png(4, 4));
        string locked = Write("cat/locked.png", HostileFiles.Png(4, 4));
        Write("dog/b.png", HostileFiles.Png(4, 4));
        File.SetUnixFileMode(locked, UnixFileMode.None);
        _locked.Add(locked);
        bool readable;
        try
        {
            File.ReadAllBytes(locked);
            readable = true;
        }
        catch (UnauthorizedAccessException)
        {
            readable = false;
        }

        Skip.If(readable, "chmod 000 does not stop this user reading files (running as root, or CAP_DAC_OVERRIDE): the unreadable case cannot be made here.");
        var set = ImageSet.FromDirectory(_root);
        var entry = Assert.Single(set.Entries, e => e.Path == locked);
        var e = Assert.Throws<InvalidImageException>(() => entry.ReadBytes());
        Assert.Equal(locked, e.Source);
        Assert.StartsWith("the file cannot be read (Access to the path", e.Reason, StringComparison.Ordinal);
        var audit = DatasetAudit.Run(set);
        Assert.Equal(locked, Assert.Single(audit.Unreadable).Source);
    }

    [Fact]
    public void FromDirectory_UnreadableDirectory_HandledWhateverTheUser()
    {
        Write("cat/a.png", HostileFiles.Png(4, 4));
        Write("cat/private/b.png", HostileFiles.Png(4, 4));
        Write("dog/c.png", HostileFiles.Png(4, 4));
        string privateDir = Path.Combine(_root, "cat", "private");
        File.SetUnixFileMode(privateDir, UnixFileMode.None);
        try
        {
            bool blocked = !CanList(privateDir);
            var set = ImageSet.FromDirectory(_root);

            // An unlistable sub-folder is passed over (IgnoreInaccessible), not a crash; as root it is listed.
            Assert.Equal(blocked ? 2 : 3, set.Count);
        }
        finally
        {
            File.SetUnixFileMode(privateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void DatasetAudit_SameImageInTrainAndTest_ReportsTheLeak()
    {
        byte[] shared = HostileFiles.NoisyPng(8, 8, 1);
        string trainCopy = Write("train/cat/a.png", shared);
        Write("train/cat/b.png", HostileFiles.NoisyPng(8, 8, 2));
        Write("train/dog/c.png", HostileFiles.NoisyPng(8, 8, 3));
        string testCopy = Write("test/cat/renamed.png", shared);
        Write("test/dog/d.png", HostileFiles.NoisyPng(8, 8, 4));
        var audit = DatasetAudit.Run(ImageSet.FromDirectory(Path.Combine(_root, "train")), ImageSet.FromDirectory(Path.Combine(_root, "test")));
        var leak = Assert.Single(audit.Leaks);
        Assert.Equal(trainCopy, Assert.Single(leak.Train).Path);
        Assert.Equal(testCopy, Assert.Single(leak.Test).Path);
        Assert.False(leak.HasConflictingLabels);
        Assert.Equal(ContentHash.Compute(shared), leak.Hash);
        Assert.Empty(audit.Duplicates);
        Assert.Equal(1, audit.LeakedTestImages);
        Assert.False(audit.IsClean);
        Assert.Equal("0 duplicate group(s) (0 images), 1 test image(s) also in train, 0 unreadable", audit.ToString());

        // The audit's one pass over the bytes also gives the run manifest's dataset hash.
        var train = ImageSet.FromDirectory(Path.Combine(_root, "train"));
        var test = ImageSet.FromDirectory(Path.Combine(_root, "test"));
        Assert.Equal(Reporting.RunManifest.ComputeDatasetHash(train.Entries, test.Entries), audit.DatasetHash);
        Assert.NotEqual(Reporting.RunManifest.ComputeDatasetHash(train.Entries), audit.DatasetHash);
        Assert.NotEqual(DatasetAudit.Run(test, train).DatasetHash, audit.DatasetHash);
    }

    [Fact]
    public void DatasetAudit_DuplicatesWithinASet_GroupedWithConflictingLabelsFlagged()
    {
        byte[] one = HostileFiles.NoisyPng(8, 8, 1);
        byte[] two = HostileFiles.NoisyPng(8, 8, 2);
        Write("cat/1.png", one);
        Write("cat/1 copy.png", one);
        Write("cat/2.png", two);
        Write("dog/2.png", two);
        Write("dog/3.png", HostileFiles.NoisyPng(8, 8, 3));
        var audit = DatasetAudit.Run(ImageSet.FromDirectory(_root));
        Assert.Equal(2, audit.Duplicates.Count);
        Assert.All(audit.Duplicates, d => Assert.Equal(DatasetPart.Train, d.Part));
        var sameClass = Assert.Single(audit.Duplicates, d => !d.HasConflictingLabels);
        Assert.Equal(["cat"], sameClass.Labels);
        var conflict = Assert.Single(audit.Duplicates, d => d.HasConflictingLabels);
        Assert.Equal(["cat", "dog"], conflict.Labels);
        Assert.Empty(audit.Leaks);
    }

    [Fact]
    public void DatasetAudit_CleanSetsAndInMemoryImages_ReportNothing()
    {
        var train = ImageSet.FromEntries([ImageEntry.FromBytes(HostileFiles.NoisyPng(4, 4, 1), "a", "m1"), ImageEntry.FromBytes(HostileFiles.NoisyPng(4, 4, 2), "b", "m2")]);
        var test = ImageSet.FromEntries([ImageEntry.FromBytes(HostileFiles.NoisyPng(4, 4, 3), "a", "m3")]);
        var audit = DatasetAudit.Run(train, test);
        Assert.True(audit.IsClean);
        Assert.Equal(2, audit.TrainCount);
        Assert.Equal(1, audit.TestCount);
    }

    [Fact]
    public void DatasetAudit_Cancelled_Throws()
    {
        Write("cat/1.png", HostileFiles.Png(4, 4));
        var set = ImageSet.FromDirectory(_root);
        Assert.Throws<OperationCanceledException>(() => DatasetAudit.Run(set, null, new CancellationToken(true)));
    }

    [Fact]
    public void DatasetAudit_MissingFile_ListedAsUnreadable()
    {
        string gone = Write("cat/1.png", HostileFiles.Png(4, 4));
        Write("cat/2.png", HostileFiles.NoisyPng(4, 4, 9));
        var set = ImageSet.FromDirectory(_root);
        File.Delete(gone);
        var audit = DatasetAudit.Run(set);
        Assert.Equal(gone, Assert.Single(audit.Unreadable).Source);
    }

    [Theory]
    [InlineData("img/a.png,cat\nimg/missing.png,dog\n", "line 2: image \"img/missing.png\" does not exist")]
    [InlineData("\"img/a.png,cat\nimg/b.png,dog\n", "a quoted field is never closed")]
    [InlineData("img/a.png,\"cat\"s\n", "text after a closing quote")]
    [InlineData("img/a.png;cat\n", "expected 2 fields (path,label), found 1")]
    [InlineData("img/a.png,\n", "line 1: empty label")]
    [InlineData("img/../../../../etc/passwd,cat\n", "outside the manifest's folder")]
    [InlineData("img/%2e%2e/a.png,cat\n", "does not exist")]
    public void FromManifest_BadRows_FailNamingTheLine(string csv, string expected)
    {
        Write("img/a.png", HostileFiles.Png(4, 4));
        Write("img/b.png", HostileFiles.Png(4, 4));
        string manifest = Write("labels.csv", System.Text.Encoding.UTF8.GetBytes(csv));
        var e = Assert.Throws<DatasetException>(() => ImageSet.FromManifest(manifest));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains(manifest, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromManifest_NamedLayout_ReadsTheNamedColumns_IgnoresOthers_AndTakesAbsolutePaths()
    {
        string a = Write("img/a.png", HostileFiles.Png(4, 4));
        string outside = Directory.CreateTempSubdirectory("transfer-manifest-outside-").FullName;
        try
        {
            string b = Path.Combine(outside, "b.png");
            File.WriteAllBytes(b, HostileFiles.Png(4, 4));
            string manifest = Write("labels.csv", System.Text.Encoding.UTF8.GetBytes($"id,label,imagepath\n1,cat,img/a.png\n\n2,\"dog\",\"{b}\"\n"));

            var set = ImageSet.FromManifest(manifest, ManifestLayout.Named());

            Assert.Equal([(a, "cat"), (b, "dog")], set.Entries.Select(e => (e.Path, e.Label)));
            var refused = Assert.Throws<DatasetException>(() => ImageSet.FromManifest(manifest, ManifestLayout.Named() with { AllowPathsOutsideFolder = false }));
            Assert.Contains("line 4: path", refused.Message, StringComparison.Ordinal);
            var wrongColumn = Assert.Throws<DatasetException>(() => ImageSet.FromManifest(manifest, ManifestLayout.Named(labelColumn: "Class")));
            Assert.Contains("has no column \"Class\" in its header row (\"id\", \"label\", \"imagepath\")", wrongColumn.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(outside, true);
        }
    }

    [Fact]
    public void FromManifest_SymlinkEscapingTheFolder_IsReadAsTheLinkTarget()
    {
        // A manifest path is checked lexically: a symbolic link inside the folder that points outside it is followed.
        string outside = Directory.CreateTempSubdirectory("transfer-rel-outside-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(outside, "x.png"), HostileFiles.Png(4, 4));
            Directory.CreateSymbolicLink(Path.Combine(_root, "link"), outside);
            string manifest = Write("labels.csv", "link/x.png,cat\n"u8.ToArray());
            var set = ImageSet.FromManifest(manifest);
            Assert.Equal(Path.Combine(_root, "link", "x.png"), Assert.Single(set.Entries).Path);
        }
        finally
        {
            Directory.Delete(outside, true);
        }
    }

    private static bool CanList(string dir)
    {
        try
        {
            Directory.GetFiles(dir);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private string Write(string relative, byte[] bytes)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
