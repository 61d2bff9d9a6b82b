using Microsoft.ML;

namespace Transfer.Images;

/// <summary>
/// A labelled set of images with a deterministic class order: from a folder with one sub-folder per class,
/// a CSV manifest of <c>path,label</c>, an ML.NET <see cref="IDataView"/>, or entries built in code.
/// </summary>
public sealed partial class ImageSet
{
    private ImageSet(IReadOnlyList<ImageEntry> entries, IReadOnlyList<string> classes, IReadOnlyList<SkippedImage> skipped, string? root)
    {
        Entries = entries;
        Classes = classes;
        Skipped = skipped;
        Root = root;
    }

    /// <summary>Gets the images.</summary>
    public IReadOnlyList<ImageEntry> Entries { get; }

    /// <summary>Gets the class names in their fixed order (ordinal sort of the labels): class index <c>i</c> is <c>Classes[i]</c>.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Gets the files left out while scanning (hidden, not an image, missing), with reasons.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; }

    /// <summary>Gets the folder the set was scanned from, if any (the default place for its bottleneck cache).</summary>
    public string? Root { get; }

    /// <summary>Gets the number of images.</summary>
    public int Count => Entries.Count;

    /// <summary>Creates a set from entries built in code.</summary>
    /// <param name="entries">The images.</param>
    /// <param name="classes">The class order to use; by default the ordinal sort of the labels present.</param>
    /// <returns>The set.</returns>
    /// <exception cref="DatasetException">An entry's label is not in <paramref name="classes"/>.</exception>
    public static ImageSet FromEntries(IEnumerable<ImageEntry> entries, IReadOnlyList<string>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.ToList();
        var classList = classes ?? list.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var known = new HashSet<string>(classList, StringComparer.Ordinal);
        var unknown = list.Where(e => !known.Contains(e.Label)).Select(e => e.Label).Distinct(StringComparer.Ordinal).Take(5).ToList();
        if (unknown.Count > 0)
        {
            throw new DatasetException($"Labels {string.Join(", ", unknown.Select(u => $"\"{u}\""))} are not among the classes [{string.Join(", ", classList)}]. Pass the full class list or leave it out to take the labels present.");
        }

        return new ImageSet(list, classList, [], null);
    }

    /// <summary>Counts the images of each class, in class order.</summary>
    /// <returns>Class name → count.</returns>
    public IReadOnlyDictionary<string, int> CountByClass()
    {
        var counts = Classes.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        foreach (var e in Entries)
        {
            counts[e.Label]++;
        }

        return counts;
    }

    /// <summary>Gets the class index of each entry (its position in <see cref="Classes"/>).</summary>
    /// <returns>One index per entry.</returns>
    public int[] ClassIndices()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Classes.Count; i++)
        {
            index[Classes[i]] = i;
        }

        var result = new int[Entries.Count];
        for (int i = 0; i < Entries.Count; i++)
        {
            result[i] = index[Entries[i].Label];
        }

        return result;
    }

    /// <summary>
    /// Splits the set per class (stratified) into train, validation and test, reproducibly for a seed.
    /// Each class keeps at least one training image.
    /// </summary>
    /// <param name="testFraction">Fraction of each class for testing, in [0, 1).</param>
    /// <param name="validationFraction">Fraction of each class for validation, in [0, 1).</param>
    /// <param name="seed">The random seed.</param>
    /// <returns>The split; all three parts share this set's class order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A fraction is outside [0, 1) or together they reach 1.</exception>
    public ImageSetSplit Split(double testFraction, double validationFraction = 0, int seed = 42)
    {
        if (testFraction is < 0 or >= 1 || validationFraction is < 0 or >= 1 || testFraction + validationFraction >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), $"Parameters \"testFraction\" and \"validationFraction\" must each be in [0, 1) and sum below 1, were {testFraction} and {validationFraction}.");
        }

        var train = new List<ImageEntry>();
        var validation = new List<ImageEntry>();
        var test = new List<ImageEntry>();
        var random = new Random(seed);
        foreach (var group in Entries.GroupBy(e => e.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var items = group.OrderBy(e => e.Name, StringComparer.Ordinal).ToArray();
            random.Shuffle(items);
            int n = items.Length;
            int nTest = (int)Math.Round(n * testFraction);
            int nValidation = (int)Math.Round(n * validationFraction);
            while (nTest + nValidation >= n && nTest + nValidation > 0)
            {
                if (nValidation > 0)
                {
                    nValidation--;
                }
                else
                {
                    nTest--;
                }
            }

            test.AddRange(items.Take(nTest));
            validation.AddRange(items.Skip(nTest).Take(nValidation));
            train.AddRange(items.Skip(nTest + nValidation));
        }

        return new ImageSetSplit(
            new ImageSet(train, Classes, Skipped, Root),
            new ImageSet(validation, Classes, [], Root),
            new ImageSet(test, Classes, [], Root));
    }
}
