using Backprop.Cli;

namespace Backprop.Tests.Cli;

public sealed class AtomicFileTests
{
    [Fact]
    public void Write_replaces_the_file_and_leaves_no_temporary_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.txt"), "old");

        AtomicFile.WriteText(dir.File("a.txt"), "new");

        Assert.Equal("new", File.ReadAllText(dir.File("a.txt")));
        Assert.Equal(["a.txt"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_writer_that_fails_halfway_leaves_the_old_file_whole()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.txt"), "old");

        Assert.Throws<IOException>(() => AtomicFile.Write(dir.File("a.txt"), s =>
        {
            s.Write("half of the new"u8);
            throw new IOException("disk full");
        }));

        Assert.Equal("old", File.ReadAllText(dir.File("a.txt")));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Save_hands_the_library_a_temporary_path_with_the_same_extension()
    {
        using var dir = new TempDir();
        string? given = null;

        AtomicFile.Save(dir.File("plot.png"), p =>
        {
            given = p;
            File.WriteAllBytes(p, [1, 2, 3]);
        });

        Assert.EndsWith(".png", given);
        Assert.NotEqual(dir.File("plot.png"), given);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(dir.File("plot.png")));
        Assert.False(File.Exists(given));
    }

    [Fact]
    public void CheckWritable_leaves_an_existing_file_as_it_is_and_no_temporary_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("m.jsonl"), "kept");

        AtomicFile.CheckWritable(dir.File("m.jsonl"));
        AtomicFile.CheckWritable(dir.File("new.jsonl"));

        Assert.Equal("kept", File.ReadAllText(dir.File("m.jsonl")));
        Assert.Equal(["m.jsonl"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void CheckWritable_refuses_a_folder_and_a_missing_folder_by_name()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("sub"));

        var folder = Assert.Throws<IOException>(() => AtomicFile.CheckWritable(dir.File("sub")));
        var missing = Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.CheckWritable(dir.File("none/m.jsonl")));

        Assert.Contains("is a folder", folder.Message);
        Assert.Contains(dir.File("none"), missing.Message);
    }
}
