using Backprop.Cli.Commands;

namespace Backprop.Tests.Cli;

/// <summary>The edit distance and the choice of names behind "did you mean".</summary>
public sealed class UsageErrorsTests
{
    [Theory]
    [InlineData("", "", 0)]
    [InlineData("train", "train", 0)]
    [InlineData("trian", "train", 1)] // a swap of neighbours is one edit (plain Levenshtein counts 2)
    [InlineData("tarin", "train", 1)]
    [InlineData("epoch", "epochs", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("ca", "abc", 3)] // optimal string alignment: no edit of a swapped pair again
    public void Distance_counts_insertions_deletions_substitutions_and_swaps(string a, string b, int expected)
    {
        Assert.Equal(expected, UsageErrors.Distance(a, b));
        Assert.Equal(expected, UsageErrors.Distance(b, a));
    }

    private static readonly string[] Train = ["--epochs", "--batch-size", "--bs", "--lr", "--hidden", "--nh", "--loss", "--gradients", "--seed", "--device", "--data", "--out", "--resume", "--metrics", "--threads", "--help"];

    [Theory]
    [InlineData("--epoch", "--epochs")]
    [InlineData("-epochs", "--epochs")]
    [InlineData("--EPOCHS", "--epochs")]
    [InlineData("--lss", "--loss")]
    [InlineData("--lrr", "--lr")]
    [InlineData("--hiden", "--hidden")]
    [InlineData("--gradient", "--gradients")]
    [InlineData("--res", "--resume")]
    [InlineData("--metric", "--metrics")]
    [InlineData("--thread", "--threads")]
    public void A_near_name_is_suggested(string word, string expected)
    {
        Assert.Equal([expected], UsageErrors.Suggest(word, Train));
    }

    [Theory]
    [InlineData("--x")]
    [InlineData("3")]
    [InlineData("--verbose")]
    [InlineData("--momentum")]
    public void A_word_far_from_every_name_gets_no_suggestion(string word)
    {
        Assert.Empty(UsageErrors.Suggest(word, Train));
    }

    [Fact]
    public void Names_as_close_as_each_other_are_all_suggested()
    {
        Assert.Equal(["--data", "--date"], UsageErrors.Suggest("--dat", ["--data", "--date", "--device"]));
    }
}
