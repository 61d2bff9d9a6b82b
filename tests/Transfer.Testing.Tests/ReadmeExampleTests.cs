namespace Transfer.Testing.Tests;

/// <summary>
/// The README's "Testing your pipeline" example is the file ReadmeExample.cs, compiled and run here as a test
/// (MyApp.Tests.ClassifierPipelineTests). This test keeps the two identical: edit one, copy it to the other.
/// </summary>
public sealed class ReadmeExampleTests
{
    public const string Section = "## Testing your pipeline";

    [Fact]
    public void Readme_TestingYourPipelineExample_IsExactlyReadmeExampleCs()
    {
        string readme = File.ReadAllText(RepositoryFiles.Combine("README.md"));
        string example = File.ReadAllText(RepositoryFiles.Combine("tests", "Transfer.Testing.Tests", "ReadmeExample.cs"));
        Assert.Equal(Normalize(example), Normalize(ExtractExample(readme)));
    }

    /// <summary>The first csharp code block of the README's "Testing your pipeline" section.</summary>
    public static string ExtractExample(string readme)
    {
        string text = readme.ReplaceLineEndings("\n");
        int section = text.IndexOf("\n" + Section + "\n", StringComparison.Ordinal);
        Assert.True(section >= 0, $"README.md has no \"{Section}\" section.");
        int open = text.IndexOf("```csharp\n", section, StringComparison.Ordinal);
        int next = text.IndexOf("\n## ", section + 1, StringComparison.Ordinal);
        Assert.True(open >= 0 && (next < 0 || open < next), $"The README's \"{Section}\" section has no ```csharp block.");
        int start = open + "```csharp\n".Length;
        int close = text.IndexOf("\n```", start, StringComparison.Ordinal);
        return text[start..close];
    }

    private static string Normalize(string code) => code.ReplaceLineEndings("\n").Trim('\n', '\uFEFF');
}

