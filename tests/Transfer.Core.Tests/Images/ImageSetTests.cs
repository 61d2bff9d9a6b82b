using Microsoft.ML;
using SkiaSharp;
using Transfer.Images;

namespace Transfer.Core.Tests.Images;

public sealed class ImageSetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("transfer-set-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public void FromDirectory_ClassFolders_TakesImagesAndReportsOthers()
    {
        Write("cat/a.png");
        Write("cat/sub/b.JPG");
        Write("dog/c.png");
        Write("dog/.hidden.png");
        Write("dog/notes.txt");
        Write("chat é/d.png");
        Directory.CreateDirectory(Path.Combine(_root, ".bottlenecks"));
        var set = ImageSet.FromDirectory(_root);
        Assert.Equal(["cat", "chat é", "dog"], set.Classes);
        Assert.Equal(4, set.Count);
        Assert.Equal(2, set.CountByClass()["cat"]);
        Assert.Contains(set.Skipped, s => s.Source.EndsWith(".hidden.png", StringComparison.Ordinal) && s.Reason == "hidden file");
        Assert.Contains(set.Skipped, s => s.Source.EndsWith("notes.txt", StringComparison.Ordinal) && s.Reason.StartsWith("not an image extension (.txt)", StringComparison.Ordinal));
    }

    [Fact]
    public void FromDirectory_EmptyClassFolder_FailsNamingIt()
    {
        Write("cat/a.png");
        Directory.CreateDirectory(Path.Combine(_root, "dog"));
        var e = Assert.Throws<DatasetException>(() => ImageSet.FromDirectory(_root));
        Assert.Equal($"Class folder(s) with no images: \"{Path.Combine(_root, "dog")}\". Add images, remove the folder, or set ImageSetOptions.AllowEmptyClasses = true to leave them out.", e.Message);
        var allowed = ImageSet.FromDirectory(_root, new ImageSetOptions { AllowEmptyClasses = true });
        Assert.Equal(["cat"], allowed.Classes);
        Assert.Contains(allowed.Skipped, s => s.Reason == "class folder with no images");
    }

    [Fact]
    public void FromDirectory_MissingOrFlatFolder_Fails()
    {
        Assert.Throws<DatasetException>(() => ImageSet.FromDirectory(Path.Combine(_root, "nope")));
        Write("a.png");
        var e = Assert.Throws<DatasetException>(() => ImageSet.FromDirectory(_root));
        Assert.Contains("has no class sub-folders", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromDirectory_SymlinkLoop_Terminates()
    {
        Write("cat/a.png");
        Directory.CreateSymbolicLink(Path.Combine(_root, "cat", "loop"), Path.Combine(_root, "cat"));
        var set = ImageSet.FromDirectory(_root);
        Assert.True(set.Count >= 1);
    }

    [Fact]
    public void FromManifest_QuotedPathsAndHeader_AreRead()
    {
        Write("img/a,b.png");
        Write("img/c.png");
        File.WriteAllText(Path.Combine(_root, "m.csv"), "path,label\n\"img/a,b.png\",\"x\"\nimg/c.png,y\n");
        var set = ImageSet.FromManifest(Path.Combine(_root, "m.csv"));
        Assert.Equal(2, set.Count);
        Assert.Equal(["x", "y"], set.Classes);
    }

    [Theory]
    [InlineData("../outside.png")]
    [InlineData("img/../../outside.png")]
    [InlineData("/etc/passwd")]
    public void FromManifest_PathLeavingRoot_IsRefused(string path)
    {
        Write("img/c.png");
        File.WriteAllText(Path.Combine(_root, "m.csv"), $"img/c.png,y\n{path},x\n");
        var e = Assert.Throws<DatasetException>(() => ImageSet.FromManifest(Path.Combine(_root, "m.csv")));
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("outside the manifest's folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromManifest_MissingFile_FailsOrSkipsByPolicy()
    {
        Write("img/c.png");
        File.WriteAllText(Path.Combine(_root, "m.csv"), "img/c.png,y\nimg/gone.png,x\n");
        var e = Assert.Throws<DatasetException>(() => ImageSet.FromManifest(Path.Combine(_root, "m.csv")));
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        var set = ImageSet.FromManifest(Path.Combine(_root, "m.csv"), new ImageSetOptions { MissingFilePolicy = BadImagePolicy.Skip });
        Assert.Single(set.Entries);
        Assert.Single(set.Skipped);
    }

    [Theory]
    [InlineData("img/c.png,\"y\n", "a quoted field is never closed")]
    [InlineData("img/c.png,y,z\n", "expected 2 fields (path,label), found 3")]
    [InlineData("img/c.png,\"y\"z\n", "text after a closing quote")]
    public void FromManifest_BadCsv_SaysWhereAndWhat(string csv, string expected)
    {
        Write("img/c.png");
        File.WriteAllText(Path.Combine(_root, "m.csv"), csv);
        var e = Assert.Throws<DatasetException>(() => ImageSet.FromManifest(Path.Combine(_root, "m.csv")));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = string.Empty;

        public string Label { get; set; } = string.Empty;
    }

    private sealed class BytesRow
    {
        public byte[] Image { get; set; } = [];

        public string Label { get; set; } = string.Empty;
    }

    [Fact]
    public void FromDataView_PathColumnAndKeyLabel_ResolvesAgainstFolder()
    {
        Write("img/a.png");
        Write("img/b.png");
        var ml = new Microsoft.ML.MLContext(0);
        var data = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = "img/a.png", Label = "x" }, new PathRow { ImagePath = "img/b.png", Label = "y" } });
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var set = ImageSet.FromDataView(keyed, "ImagePath", "Label", _root);
        Assert.Equal(["x", "y"], set.Classes);
        Assert.Equal(Path.Combine(_root, "img", "b.png"), set.Entries[1].Path);
    }

    [Fact]
    public void FromDataView_BytesColumn_KeepsTheBytes()
    {
        var png = TestImages.Png(2, 2, (_, _) => SKColors.Gray);
        var ml = new Microsoft.ML.MLContext(0);
        var data = ml.Data.LoadFromEnumerable(new[] { new BytesRow { Image = png, Label = "x" } });
        var set = ImageSet.FromDataView(data, "Image", "Label");
        Assert.Equal(png, set.Entries[0].ReadBytes().ToArray());
        var e = Assert.Throws<DatasetException>(() => ImageSet.FromDataView(data, "Picture", "Label"));
        Assert.StartsWith("Column \"Picture\" is not in the data view (columns: Image, Label).", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_IsStratifiedAndReproducible()
    {
        var entries = Enumerable.Range(0, 30).Select(i => ImageEntry.FromBytes(new byte[] { (byte)i }, i < 20 ? "a" : "b", $"img{i}"));
        var set = ImageSet.FromEntries(entries);
        var s1 = set.Split(0.2, 0.1, seed: 7);
        var s2 = set.Split(0.2, 0.1, seed: 7);
        Assert.Equal(s1.Test.Entries.Select(e => e.Name), s2.Test.Entries.Select(e => e.Name));
        Assert.Equal(4, s1.Test.CountByClass()["a"]);
        Assert.Equal(2, s1.Test.CountByClass()["b"]);
        Assert.Equal(2, s1.Validation.CountByClass()["a"]);
        Assert.Equal(30, s1.Train.Count + s1.Validation.Count + s1.Test.Count);
        Assert.Empty(s1.Train.Entries.Select(e => e.Name).Intersect(s1.Test.Entries.Select(e => e.Name)));
        Assert.NotEqual(s1.Test.Entries.Select(e => e.Name), set.Split(0.2, 0.1, seed: 8).Test.Entries.Select(e => e.Name));
    }

    private void Write(string relative)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, TestImages.Png(2, 2, (_, _) => SKColors.Gray));
    }
}
