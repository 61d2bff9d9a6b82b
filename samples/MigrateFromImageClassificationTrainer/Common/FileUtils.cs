using System.Reflection;
using ImageClassification.DataModels;

namespace ImageClassification;

/// <summary>Lists image files with labels taken from their folder (or from the letters their file name starts with).</summary>
public static class FileUtils
{
    public static IEnumerable<(string imagePath, string label)> LoadImagesFromDirectory(string folder, bool useFolderNameasLabel)
    {
        var imagesPath = Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Where(x => Path.GetExtension(x) is ".jpg" or ".png")
            .Order(StringComparer.Ordinal);
        return useFolderNameasLabel
            ? imagesPath.Select(imagePath => (imagePath, Directory.GetParent(imagePath)!.Name))
            : imagesPath.Select(imagePath => (imagePath, new string(Path.GetFileName(imagePath).TakeWhile(char.IsLetter).ToArray())));
    }

    public static IEnumerable<InMemoryImageData> LoadInMemoryImagesFromDirectory(string folder, bool useFolderNameAsLabel = true) =>
        LoadImagesFromDirectory(folder, useFolderNameAsLabel)
            .Select(x => new InMemoryImageData(File.ReadAllBytes(x.imagePath), x.label, Path.GetFileName(x.imagePath)));

    public static string GetAbsolutePath(Assembly assembly, string relativePath) =>
        Path.Combine(new FileInfo(assembly.Location).Directory!.FullName, relativePath);
}
