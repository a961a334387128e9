"""Wagtail's own interface strings that officers read and that Wagtail's zh-Hans catalogue leaves in English.

Marking them here puts them into our catalogue (``scripts/i18n.sh``), where tests/test_i18n_catalogue.py keeps
them translated; Django looks in LOCALE_PATHS before any app's ``locale`` directory, so our translation is the one
shown. Nothing imports this module: it exists for the extraction. Each msgid is copied from the Wagtail source
named beside it (Wagtail 8.0) and must stay byte-identical to it, placeholders and markup included; after a Wagtail
upgrade, tests/casefiles/test_admin_all_chinese.py finds the strings that changed.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

STRINGS = [
    # Dashboard (wagtailadmin/home.html, home/site_summary_*.html)
    gettext_noop("Search all pages…"),
    gettext_noop("Wagtail %(current_version)s editor guide"),
    gettext_noop("Your pages and snippets in a workflow"),
    gettext_noop("Shortcuts"),
    # Account page (wagtail/admin/views/account.py, wagtail/users/models.py)
    gettext_noop("Theme preferences"),
    gettext_noop("admin theme"),
    gettext_noop("contrast"),
    gettext_noop("More contrast"),
    gettext_noop("density"),
    gettext_noop("Snug"),
    gettext_noop("Enable custom keyboard shortcuts specific to Wagtail."),
    gettext_noop("Use server language: %(language_name)s"),
    # Listings (wagtail/admin/ui/tables, generic/index_results.html, pages/listing)
    gettext_noop("Sort by '%(label)s' in ascending order."),
    gettext_noop("Sort by '%(label)s' in descending order."),
    gettext_noop("No %(model_name)s match your query."),
    gettext_noop('There are no %(model_name)s to display. Why not <a href="%(add_url)s">add one</a>?'),
    gettext_noop("%(start_index)s-%(end_index)s of %(items_count)s %(model_name)s"),
    gettext_noop("%(start_index)s-%(end_index)s of %(items_count)s %(model_name)s across entire site."),
    gettext_noop(
        "%(start_index)s-%(end_index)s of %(items_count)s %(model_name)s in "
        "'<span class=\"w-title-ellipsis\">%(title)s</span>'."
    ),
    gettext_noop("Search in '<span class=\"w-title-ellipsis\">%(title)s</span>'"),
    gettext_noop("Exploring"),
    gettext_noop("Date updated"),
    gettext_noop("Edited by"),
    gettext_noop("Has child pages"),
    gettext_noop("Page type"),
    gettext_noop("Any"),
    gettext_noop("Show disabled"),
    gettext_noop("Oldest"),
    gettext_noop("Usage count: (low to high)"),
    gettext_noop("Usage count: (high to low)"),
    gettext_noop(
        "The root level is where you can add new sites to your Wagtail installation. Pages created here will not be "
        "accessible at any URL until they are associated with a site."
    ),
    gettext_noop("If you just want to add pages to an existing site, create them as children of the homepage instead."),
    # Page explorer side panel (wagtailadmin/shared/side_panels/includes/status/locked.html)
    gettext_noop("Locking: "),
    gettext_noop("Anyone can edit this %(model_name)s – lock it to prevent others from editing"),
    gettext_noop("Anyone can edit this %(model_name)s"),
    # Reports (wagtail/admin/views/reports)
    gettext_noop("Page types usage"),
    gettext_noop("Privacy and access"),
    gettext_noop("Is commenting action"),
    gettext_noop("Locked by"),
    gettext_noop("Anyone"),
    gettext_noop("By task"),
    gettext_noop("By workflow"),
]

PLURALS = [
    # Page explorer side panel (wagtail/admin/ui/side_panels.py)
    ngettext_lazy("Referenced %(count)s time", "Referenced %(count)s times"),
    # Dashboard summary (wagtailadmin/home/site_summary_pages.html, wagtailimages/…, wagtaildocs/…)
    ngettext_lazy(
        '%(total)s Page <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Pages <span class="w-sr-only">created in %(site_name)s</span>',
    ),
    ngettext_lazy(
        '%(total)s Image <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Images <span class="w-sr-only">created in %(site_name)s</span>',
    ),
    ngettext_lazy(
        '%(total)s Document <span class="w-sr-only">created in %(site_name)s</span>',
        '%(total)s Documents <span class="w-sr-only">created in %(site_name)s</span>',
    ),
]

# Editing a page and taking it through moderation: officers edit their programme's pages (wagtailadmin/pages/,
# shared/side_panels/, the editing-session and workflow messages of wagtail/admin/views).
EDITING = [
    gettext_noop("Go to the first error"),
    gettext_noop("This %(model_name)s is currently at <strong>%(task)s</strong> in <strong>%(workflow)s</strong>."),
    gettext_noop("Publishing this %(model_name)s will cancel the current workflow."),
    gettext_noop("Actions (footer)"),
    gettext_noop(
        "Preview cannot display due to validation errors. <br /> Click save to highlight the relevant fields."
    ),
    gettext_noop("Changing the privacy for this page has been disabled."),
    gettext_noop("Scheduling…"),
    gettext_noop("Schedule to publish"),
    gettext_noop(
        "This page was marked as needing changes at <strong>%(task)s</strong> in <strong>%(workflow)s</strong>."
    ),
    gettext_noop("This page is currently at <strong>%(task)s</strong> in <strong>%(workflow)s</strong>."),
    gettext_noop("This page is locked, by you, to further editing"),
    gettext_noop("No results across entire site."),
    gettext_noop("No results in '<span class=\"w-title-ellipsis\">%(title)s</span>'."),
    gettext_noop("Choose when this %(model_name)s should go live and/or expire"),
    gettext_noop("Choose when this page should go live and/or expire"),
    gettext_noop("Anyone with editing permissions can create schedules"),
    gettext_noop("But only those with publishing permissions can make them effective."),
    gettext_noop("Locked by <b>you</b> at <b>%(locking_date)s</b>"),
    gettext_noop("Locked by <b>%(locked_by)s</b> at <b>%(locking_date)s</b>"),
    gettext_noop("Saved"),
    gettext_noop("Autosave is paused"),
    gettext_noop("Save your changes before leaving"),
    gettext_noop("Choose who can view the live version of this page"),
    gettext_noop("Status %(status)s"),
    gettext_noop("%(action)s by <b>%(who)s</b> at <b>%(at)s</b>"),
    gettext_noop("%(action)s at <b>%(at)s</b>"),
    gettext_noop("%(action)s by <b>%(who)s</b>"),
    gettext_noop("This %(model_name)s hasn't been submitted for moderation yet"),
    gettext_noop("Disabled"),
    gettext_noop("Cancelled by %(cancelled_by)s"),
    gettext_noop("at %(time)s by %(user_display_name)s"),
    gettext_noop("at %(time)s"),
    gettext_noop("%(time)s by %(user_display_name)s"),
    gettext_noop("%(time_period)s ago by %(user_display_name)s"),
    gettext_noop("Changes requested %(finished_at)s"),
    gettext_noop("Sent to %(task_name)s %(started_at)s"),
    gettext_noop("%(status_display)s %(task_name)s %(started_at)s"),
    gettext_noop("(blank)"),
    gettext_noop("'%(page_title)s' has been moved successfully."),
    gettext_noop("%(model_name)s '%(object)s' updated and published."),
    gettext_noop("%(model_name)s '%(object)s' created and published."),
    gettext_noop("%(model_name)s '%(object)s' has been submitted for moderation."),
    gettext_noop("%(model_name)s '%(object)s' created and submitted for moderation."),
    gettext_noop("Workflow on %(model_name)s '%(object)s' has been restarted."),
    gettext_noop("Workflow on %(model_name)s '%(object)s' has been cancelled."),
    gettext_noop("%(model_name)s '%(title)s' is now unlocked."),
    gettext_noop("Saving will overwrite a newer version."),
    gettext_noop("The %(model_name)s could not be saved as it is locked"),
    gettext_noop("You are viewing a previous version of this %(model_name)s from <b>%(created_at)s</b> by %(user)s"),
    gettext_noop("There are validation errors, click save to highlight them."),
    gettext_noop("The page could not be created due to validation errors."),
    gettext_noop("The page could not be saved as it is locked."),
    gettext_noop("The page could not be saved due to validation errors."),
    gettext_noop("Choose parent"),
    gettext_noop("Create a new %(model_name)s"),
    gettext_noop("New: %(model_name)s"),
    gettext_noop("The %(model_name)s '%(title)s' is not currently awaiting moderation."),
    gettext_noop("Privacy is inherited from the ancestor page - %(ancestor_page)s"),
    gettext_noop("Placeholder title"),
    gettext_noop("Show keyboard shortcuts"),
    gettext_noop("Edit account avatar"),
    gettext_noop("System"),
    gettext_noop("Never"),
    gettext_noop("Item %(index)s of %(total)s"),
    gettext_noop("Refresh"),
    gettext_noop("Refreshing…"),
    gettext_noop("Checks"),
    gettext_noop("Toggle checks"),
    gettext_noop("Content metrics"),
    gettext_noop("Words"),
    gettext_noop("Reading time"),
    gettext_noop("Readability"),
    gettext_noop("Go-live:"),
    gettext_noop("Once scheduled:"),
    gettext_noop("Invalid schedule"),
    gettext_noop("Autosave is <span>paused</span>"),
    gettext_noop("Currently viewing"),
    gettext_noop("Currently idle"),
    gettext_noop("View latest version"),
    gettext_noop("%(user_name)s saved a new version"),
    gettext_noop("%(user_name)s has unsaved changes"),
    gettext_noop("You saved a new version in another window"),
    gettext_noop("You have unsaved changes in another window"),
    gettext_noop("Proceeding will overwrite the changes you made in that window."),
    gettext_noop("Proceeding will overwrite the changes made by %(user_name)s."),
    gettext_noop("A network error occurred"),
    gettext_noop("Sort item order"),
    gettext_noop("If you confirm deletion"),
    gettext_noop("More bulk actions"),
]
