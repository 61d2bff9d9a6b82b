using SkiaSharp;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.Validation;

namespace Transfer.Testing.Tests;

public sealed class SyntheticImagesTests
{
    [Theory]
    [InlineData(SyntheticImageFormat.Png, 32, 32, ".png")]
    [InlineData(SyntheticImageFormat.Jpeg, 48, 40, ".jpg")]
    [InlineData(SyntheticImageFormat.Bmp, 33, 17, ".bmp")]
    [InlineData(SyntheticImageFormat.Webp, 64, 64, ".webp")]
    public async Task WriteToFolder_EachFormat_WritesDecodableImagesOfTheRequestedSize(SyntheticImageFormat format, int width, int height, string extension)
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 2, Width = width, Height = height, Format = format });
        Assert.Equal(["circle", "square", "triangle"], folder.Classes);
        Assert.Equal(6, folder.Files.Count);
        foreach (string file in folder.Files)
        {
            Assert.EndsWith(extension, file, StringComparison.Ordinal);
            using var codec = SKCodec.Create(file);
            Assert.NotNull(codec);
            Assert.Equal((width, height), (codec.Info.Width, codec.Info.Height));
        }

        var images = folder.Load();
        Assert.Equal(6, images.Count);
        Assert.Empty(images.Skipped);
        using var featurizer = new Featurizer(TinyBackbone.Default);
        var result = await featurizer.FeaturizeAsync(images);
        Assert.Equal(6, result.Features.Count);
    }

    [Fact]
    public void Draw_ShapeAndColour_AreWhereTheClassSays()
    {
        var red = new SyntheticClass("red", SyntheticShape.Square, 0xFF0000);
        using var bitmap = SKBitmap.Decode(SyntheticImages.Draw(red, 0, new SyntheticImageOptions { Width = 40, Height = 40 }));
        var centre = bitmap.GetPixel(20, 20);
        var corner = bitmap.GetPixel(0, 0);
        Assert.True(centre.Red > 200 && centre.Green < 60 && centre.Blue < 60, $"centre {centre} is not red");
        Assert.Equal(SKColors.White, corner);
    }

    [Fact]
    public void InMemory_Seed_FixesEveryByte()
    {
        var a = SyntheticImages.InMemory(new SyntheticImageOptions { Seed = 3 });
        var b = SyntheticImages.InMemory(new SyntheticImageOptions { Seed = 3 });
        var c = SyntheticImages.InMemory(new SyntheticImageOptions { Seed = 4 });
        Assert.Equal(24, a.Count);
        Assert.Equal(a.Entries.Select(e => e.ReadBytes().ToArray()), b.Entries.Select(e => e.ReadBytes().ToArray()));
        Assert.NotEqual(a.Entries[0].ReadBytes().ToArray(), c.Entries[0].ReadBytes().ToArray());
        Assert.Equal("circle/circle-000.png", a.Entries[0].Name);
    }

    [Fact]
    public async Task AddBroken_EachKind_IsSkippedWithItsReason()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 2 });
        string truncated = folder.AddBroken(BrokenImageKind.Truncated, "circle");
        string empty = folder.AddBroken(BrokenImageKind.ZeroBytes, "square", "empty.jpg");
        string text = folder.AddBroken(BrokenImageKind.NotAnImage, "triangle", "notes.bmp");
        Assert.Equal(0, new FileInfo(empty).Length);
        var images = folder.Load();
        Assert.Equal(9, images.Count);
        using var featurizer = new Featurizer(TinyBackbone.Default, new FeaturizerOptions { BadImagePolicy = BadImagePolicy.Skip });
        var result = await featurizer.FeaturizeAsync(images);
        Assert.Equal(6, result.Features.Count);
        Assert.Equal(3, result.Skipped.Count);
        Assert.Contains(result.Skipped, s => s.Source == truncated && s.Reason.Contains("truncated", StringComparison.Ordinal));
        Assert.Contains(result.Skipped, s => s.Source == empty && s.Reason.Contains("empty", StringComparison.Ordinal));
        Assert.Contains(result.Skipped, s => s.Source == text && s.Reason.Contains("not a recognised image format", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(SyntheticImageFormat.Png)]
    [InlineData(SyntheticImageFormat.Jpeg)]
    [InlineData(SyntheticImageFormat.Bmp)]
    [InlineData(SyntheticImageFormat.Webp)]
    public async Task Broken_TruncatedInEachFormat_FailsNamingTheFile(SyntheticImageFormat format)
    {
        var entry = ImageEntry.FromBytes(SyntheticImages.Broken(BrokenImageKind.Truncated, format), "circle", $"cut{SyntheticImages.Extension(format)}");
        using var featurizer = new Featurizer(TinyBackbone.Default);
        var e = await Assert.ThrowsAsync<InvalidImageException>(() => featurizer.FeaturizeAsync(ImageSet.FromEntries([entry])));
        Assert.Contains(entry.Name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_DeletesTheFolderAndEverythingInIt()
    {
        var folder = SyntheticImages.WriteToFolder();
        File.WriteAllText(Path.Combine(folder.Directory, "extra.txt"), "x");
        Assert.True(Directory.Exists(folder.Directory));
        folder.Dispose();
        Assert.False(Directory.Exists(folder.Directory));
        Assert.Throws<ObjectDisposedException>(() => folder.Load());
    }

    [Fact]
    public void WriteToFolder_NonEmptyFolder_IsRefusedAndLeftAlone()
    {
        string directory = Directory.CreateTempSubdirectory("transfer-testing-mine-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "keep.txt"), "mine");
            var e = Assert.Throws<ArgumentException>(() => SyntheticImages.WriteToFolder(null, directory));
            Assert.Contains(directory, e.Message, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(directory, "keep.txt")));
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }

    [Fact]
    public void Validate_SeveralProblems_ListsEveryOne()
    {
        var options = new SyntheticImageOptions
        {
            Classes = [new("a", SyntheticShape.Circle, 0x1000000), new("a", SyntheticShape.Square, 0), new("x/y", SyntheticShape.Ring, 0)],
            ImagesPerClass = 0,
            Width = 4,
        };
        var e = Assert.Throws<OptionsValidationException>(() => SyntheticImages.InMemory(options));
        Assert.StartsWith("Invalid synthetic image options / Validation Errors:", e.Message, StringComparison.Ordinal);
        Assert.Contains("Classes must have distinct names; repeated: a.", e.Message, StringComparison.Ordinal);
        Assert.Contains("Class \"a\": Color must be 0xRRGGBB, was 0x1000000.", e.Message, StringComparison.Ordinal);
        Assert.Contains("Class name \"x/y\" must be a usable folder name", e.Message, StringComparison.Ordinal);
        Assert.Contains("ImagesPerClass must be in [1, 100000], was 0.", e.Message, StringComparison.Ordinal);
        Assert.Contains("Width and Height must be in [8, 4096], were 4 and 32.", e.Message, StringComparison.Ordinal);
    }
}
