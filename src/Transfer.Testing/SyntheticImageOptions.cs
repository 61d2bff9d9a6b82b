using System.Globalization;
using Transfer.Validation;

namespace Transfer.Testing;

/// <summary>
/// What <see cref="SyntheticImages"/> draws: classes, images per class, size, format and seed. A record: derive a
/// test set from a training set's options with <c>options with { Seed = 2 }</c>.
/// </summary>
public sealed record SyntheticImageOptions
{
    /// <summary>The default classes: a red circle, a green square and a blue triangle.</summary>
    public static readonly IReadOnlyList<SyntheticClass> DefaultClasses =
    [
        new("circle", SyntheticShape.Circle, 0xE02020),
        new("square", SyntheticShape.Square, 0x20A020),
        new("triangle", SyntheticShape.Triangle, 0x2040E0),
    ];

    /// <summary>Gets the classes.</summary>
    /// <value>The default value is <see cref="DefaultClasses"/>.</value>
    public IReadOnlyList<SyntheticClass> Classes { get; init; } = DefaultClasses;

    /// <summary>Gets the number of images drawn for each class.</summary>
    /// <value>The default value is 8.</value>
    public int ImagesPerClass { get; init; } = 8;

    /// <summary>Gets the image width in pixels.</summary>
    /// <value>The default value is 32.</value>
    public int Width { get; init; } = 32;

    /// <summary>Gets the image height in pixels.</summary>
    /// <value>The default value is 32.</value>
    public int Height { get; init; } = 32;

    /// <summary>Gets the file format.</summary>
    /// <value>The default value is <see cref="SyntheticImageFormat.Png"/>.</value>
    public SyntheticImageFormat Format { get; init; } = SyntheticImageFormat.Png;

    /// <summary>Gets the seed of the position, size and colour jitter; the same seed draws the same images.</summary>
    /// <value>The default value is 1.</value>
    public int Seed { get; init; } = 1;

    /// <summary>Gets the background colour as 0xRRGGBB.</summary>
    /// <value>The default value is 0xFFFFFF (white).</value>
    public int Background { get; init; } = 0xFFFFFF;

    /// <summary>Checks the options and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more values are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (Classes is null || Classes.Count == 0)
        {
            problems.Add("Classes must list at least one class, was empty.");
        }
        else
        {
            var duplicates = Classes.GroupBy(c => c.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (duplicates.Count > 0)
            {
                problems.Add($"Classes must have distinct names; repeated: {string.Join(", ", duplicates)}.");
            }

            foreach (var c in Classes)
            {
                if (string.IsNullOrWhiteSpace(c.Name) || c.Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || c.Name.StartsWith('.'))
                {
                    problems.Add($"Class name \"{c.Name}\" must be a usable folder name (not empty, no path separators, not starting with '.').");
                }

                if (c.Color is < 0 or > 0xFFFFFF)
                {
                    problems.Add($"Class \"{c.Name}\": Color must be 0xRRGGBB, was 0x{c.Color.ToString("X", CultureInfo.InvariantCulture)}.");
                }
            }
        }

        if (ImagesPerClass is < 1 or > 100_000)
        {
            problems.Add($"ImagesPerClass must be in [1, 100000], was {ImagesPerClass}.");
        }

        if (Width is < 8 or > 4096 || Height is < 8 or > 4096)
        {
            problems.Add($"Width and Height must be in [8, 4096], were {Width} and {Height}.");
        }

        if (!Enum.IsDefined(Format))
        {
            problems.Add($"Format must be one of {string.Join(", ", Enum.GetNames<SyntheticImageFormat>())}, was {(int)Format}.");
        }

        if (Background is < 0 or > 0xFFFFFF)
        {
            problems.Add($"Background must be 0xRRGGBB, was 0x{Background.ToString("X", CultureInfo.InvariantCulture)}.");
        }

        problems.ThrowIfAny("synthetic image options");
    }
}
