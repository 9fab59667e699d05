using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Blog.ApiService.Data.Migrations
{
    /// <inheritdoc />
    public partial class AddIdempotencyKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "idempotency_key",
                table: "posts",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "idempotency_key",
                table: "comments",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_posts_author_id_idempotency_key",
                table: "posts",
                columns: new[] { "author_id", "idempotency_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_comments_author_id_idempotency_key",
                table: "comments",
                columns: new[] { "author_id", "idempotency_key" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_posts_author_id_idempotency_key",
                table: "posts");

            migrationBuilder.DropIndex(
                name: "ix_comments_author_id_idempotency_key",
                table: "comments");

            migrationBuilder.DropColumn(
                name: "idempotency_key",
                table: "posts");

            migrationBuilder.DropColumn(
                name: "idempotency_key",
                table: "comments");
        }
    }
}
