namespace Transfer.Testing.Tests;

/// <summary>
/// The "Testing your pipeline" example of docs/TESTING.md is the file TestingDocExample.cs, compiled and run here as a
/// test (MyApp.Tests.ClassifierPipelineTests). This test keeps the two identical: edit one, copy it to the other.
/// </summary>
public sealed class TestingDocExampleTests
{
    public const string Document = "docs/TESTING.md";

    public const string Section = "## Testing your pipeline";

    [Fact]
    public void TestingDoc_TestingYourPipelineExample_IsExactlyTestingDocExampleCs()
    {
        string doc = File.ReadAllText(RepositoryFiles.Combine("docs", "TESTING.md"));
        string example = File.ReadAllText(RepositoryFiles.Combine("tests", "Transfer.Testing.Tests", "TestingDocExample.cs"));
        Assert.Equal(Normalize(example), Normalize(ExtractExample(doc)));
    }

    /// <summary>The first csharp code block of the document's "Testing your pipeline" section.</summary>
    public static string ExtractExample(string doc)
    {
        string text = doc.ReplaceLineEndings("\n");
        int section = text.IndexOf("\n" + Section + "\n", StringComparison.Ordinal);
        Assert.True(section >= 0, $"{Document} has no \"{Section}\" section.");
        int open = text.IndexOf("```csharp\n", section, StringComparison.Ordinal);
        int next = text.IndexOf("\n## ", section + 1, StringComparison.Ordinal);
        Assert.True(open >= 0 && (next < 0 || open < next), $"The \"{Section}\" section of {Document} has no ```csharp block.");
        int start = open + "```csharp\n".Length;
        int close = text.IndexOf("\n```", start, StringComparison.Ordinal);
        return text[start..close];
    }

    private static string Normalize(string code) => code.ReplaceLineEndings("\n").Trim('\n', '\uFEFF');
}
